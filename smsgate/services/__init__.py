"""Use cases: submit, dispatch, delivery and administration, over the ports in `ports`.

Services know the domain rules (from `core`) and the ports; never an adapter or framework.
"""
