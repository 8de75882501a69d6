"""Side-by-side benchmarks of smsgate, Jasmin and Kannel against one SMPP sink."""
