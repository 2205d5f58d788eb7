"""Sessions in the database (Django's store), refusing keys no session of ours could have.

Django makes keys of 32 characters from [a-z0-9]. A cookie may carry anything else, e.g.
``sessionid="abc\\000def"``, which Python's cookie parser unquotes into a NUL byte that
PostgreSQL refuses in a query: a server error on every page for a request that is just not
logged in. A key that could not be ours is treated as no session at all.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key)) and key.isascii() and key.isalnum()
