"""Keys, tokens and a real key-set server for the contract tests of a bearer-jwt spec.

The tests make their own keys (EdDSA, ES256, RS256 and an HS256 secret), mint tokens with
PyJWT, and serve the public keys as a JWKS document from an HTTP server on 127.0.0.1, which
they can rotate or take down. `OwnerTokens` lets the shared contract tests run unchanged:
it signs each request as the owner its path names.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

Json = dict[str, Any]
ISSUER = "https://issuer.test"
AUDIENCE = "https://app.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """A private key (or, for HS256, the secret) and the `kid` its tokens name."""

    algorithm: str
    kid: str
    private: Any

    def public_jwk(self) -> Json:
        """The public half as a JWK, as an issuer's JWKS endpoint publishes it."""
        if self.algorithm == "HS256":
            raise ValueError("a shared secret has no public half")
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk: Json = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def sign_raw(self, payload: bytes, *, headers: Json | None = None) -> str:
        """A correctly signed token whose payload is any bytes (not necessarily a JSON object)."""
        return jwt.api_jws.encode(
            payload,
            self.private,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )

    def sign(self, claims: Json, *, headers: Json | None = None) -> str:
        return jwt.encode(
            claims,
            self.private,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )


def new_key(algorithm: str, kid: str | None = None) -> SigningKey:
    """A fresh key for `algorithm` (one of EdDSA, ES256, RS256, HS256)."""
    private: Any
    if algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "HS256":
        private = secrets.token_urlsafe(32)
    else:
        raise ValueError(f"no test key for {algorithm}")
    return SigningKey(algorithm, kid or f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}", private)


def unsigned_token(claims: Json, algorithm: str = "none", kid: str | None = None) -> str:
    """A token with any `alg` and no valid signature (for `none` and algorithm confusion)."""
    header = {"alg": algorithm, "typ": "JWT", **({"kid": kid} if kid else {})}
    parts = [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode())]
    return ".".join(parts) + "."


def hs256_token(claims: Json, secret: bytes, kid: str | None = None) -> str:
    """An HS256 token with `secret` as the HMAC key, even a public key's PEM (which PyJWT
    refuses to sign with): the classic algorithm-confusion attack."""
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@dataclass
class TokenIssuer:
    """The keys of a test issuer, one per algorithm, and its claims."""

    keys: dict[str, SigningKey]
    issuer: str = ISSUER
    audience: str = AUDIENCE
    owner_claim: str = "sub"

    def claims(self, owner: str, **extra: Any) -> Json:
        now = int(time.time())
        base = {self.owner_claim: owner, "iss": self.issuer, "aud": self.audience}
        return {**base, "iat": now, "exp": now + 900, **extra}

    def token(self, owner: str, algorithm: str | None = None, *, extra: Json | None = None) -> str:
        """A valid token for `owner` (claims in `extra` added or replaced)."""
        key = self.keys[algorithm or next(iter(self.keys))]
        return key.sign(self.claims(owner, **(extra or {})))

    @property
    def secret(self) -> str | None:
        key = self.keys.get("HS256")
        return str(key.private) if key else None

    def public_jwks(self) -> list[Json]:
        return [key.public_jwk() for key in self.keys.values() if key.algorithm != "HS256"]


def new_issuer(algorithms: Iterable[str], owner_claim: str) -> TokenIssuer:
    return TokenIssuer({a: new_key(a) for a in algorithms}, owner_claim=owner_claim)


@dataclass
class KeySetServer:
    """A JWKS endpoint on 127.0.0.1: serves `keys`, answers 503 while `down`, counts fetches."""

    keys: list[Json] = field(default_factory=list)
    down: bool = False
    fetches: int = 0
    _server: ThreadingHTTPServer | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/auth/jwks"

    def start(self) -> "KeySetServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                status, body = (
                    (503, b"{}") if owner.down else (200, json.dumps({"keys": owner.keys}).encode())
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def unreachable_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/api/auth/jwks"


def owner_pattern(prefix: str, templates: Iterable[str]) -> re.Pattern[str]:
    """Matches a URL path of any resource and captures its owner (the first placeholder)."""
    alternatives = []
    for template in templates:
        head = template.split("{", 1)[0]
        alternatives.append(re.escape(prefix + head) + r"([^/]*)")
    # Longest first, so `/projects/{owner}` wins over `/{owner}` for `/projects/alice`.
    ordered = sorted(set(alternatives), key=lambda a: (-len(a), a))
    return re.compile("|".join(f"(?:{a})" for a in ordered))


@dataclass
class OwnerTokens(httpx.Auth):
    """Signs every request as the owner its path names, unless it has Authorization already."""

    issuer: TokenIssuer
    pattern: re.Pattern[str]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        match = self.pattern.match(request.url.path)
        if match is not None and "authorization" not in request.headers:
            owner = next(group for group in match.groups() if group is not None)
            request.headers["Authorization"] = f"Bearer {self.issuer.token(unquote(owner))}"
        yield request


@dataclass(frozen=True)
class BearerSetup:
    """What the test fixtures share: the issuer, its running key-set server, app settings."""

    issuer: TokenIssuer
    server: KeySetServer
    algorithms: tuple[str, ...]

    def settings(self) -> Json:
        """The AUTH_* settings (as Settings keywords) of an app trusting this issuer."""
        return {
            "auth_jwks_url": self.server.url,
            "auth_secret": self.issuer.secret,
            "auth_issuer": self.issuer.issuer,
            "auth_audience": self.issuer.audience,
        }
