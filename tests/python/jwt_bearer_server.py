"""A JWT bearer grant server (RFC 7523 section 2.1) for tests/node/keys.test.mjs: Authlib's
JWTBearerGrant in Flask, on 127.0.0.1 and a free port.

Run: .tools/venv/bin/python tests/python/jwt_bearer_server.py '<config JSON>'
  config: {"clients": {"<iss>": {"jwk": <public JWK>, "users": ["<sub>", ...]}}}
Prints one line, {"port": N}, once it listens. POST /token issues tokens; GET /seen lists what
each token request carried (grant type, the assertion's decoded header and claims, the form's
other parameter names), for the test's assertions.
"""

import json
import secrets
import sys

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc7523 import JWTBearerGrant
from flask import Flask, jsonify, request
from joserfc import jwk, jws
from werkzeug.serving import make_server

CONFIG = json.loads(sys.argv[1])
SEEN = []


class Client(ClientMixin):
    def __init__(self, issuer, config):
        self.issuer = issuer
        self.config = config

    def get_client_id(self):
        return self.issuer

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return False

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "none"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == JWTBearerGrant.GRANT_TYPE


CLIENTS = {iss: Client(iss, c) for iss, c in CONFIG["clients"].items()}


class Grant(JWTBearerGrant):
    def resolve_issuer_client(self, issuer):
        return CLIENTS.get(issuer)

    def resolve_client_public_key(self, client):
        return jwk.import_key(client.config["jwk"])

    def authenticate_user(self, subject):
        return subject if subject in CONFIG["clients"].get(self.request.client.issuer, {}).get("users", []) else None

    def has_granted_permission(self, client, user):
        return True

    def get_audiences(self):
        return [request.url_root + "token"]


app = Flask(__name__)
app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {JWTBearerGrant.GRANT_TYPE: 3600}
server = AuthorizationServer(app, query_client=lambda client_id: CLIENTS.get(client_id), save_token=lambda token, req: None)
server.register_grant(Grant)
server.register_token_generator("default", lambda grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True: {
    "token_type": "Bearer",
    "access_token": secrets.token_urlsafe(24),
    "expires_in": expires_in or 3600,
    **({"scope": scope} if scope else {}),
})


@app.post("/token")
def token():
    form = request.form
    seen = {"grant_type": form.get("grant_type"), "params": sorted(form.keys())}
    try:
        extracted = jws.extract_compact(form.get("assertion", "").encode())
        seen["header"] = extracted.headers()
        seen["claims"] = json.loads(extracted.payload)
    except Exception:  # noqa: BLE001 - a malformed assertion is Authlib's to refuse
        pass
    SEEN.append(seen)
    return server.create_token_response()


@app.get("/seen")
def seen():
    return jsonify(SEEN)


http = make_server("127.0.0.1", 0, app, threaded=True)
print(json.dumps({"port": http.server_port}), flush=True)
http.serve_forever()
