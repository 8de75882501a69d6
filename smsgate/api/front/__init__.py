"""The lean HTTP/1.1 server (`SMSGATE_HTTP_SERVER=lean`): asyncio and httptools in front of
the same ASGI app uvicorn serves, with the same deadlines, caps and keep-alive."""
