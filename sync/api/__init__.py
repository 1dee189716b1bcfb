"""The HTTP contract the office hub and the central server both keep.

* ``errors`` — THE error type (``ApiError``), THE JSON error shape and THE table of error codes;
  pure Python, so devices parsing answers import it without any web framework;
* ``security`` — secrets, token and password hashing, bearer parsing, Retry-After rounding;
  pure Python (Argon2 is imported only when a password is hashed);
* ``web`` — the Starlette side: the error handlers and the one request-body reader.

Rule: this package imports nothing else of the project; the hub (``kiosk/hub``) and the
centre (``sync/server``) import it, never each other.
"""
