"""Mint a bearer token for a local secret or key, to try a bearer-jwt spec with curl.

    python scripts/mint_token.py token --secret "$AUTH_SECRET" --sub alice
    python scripts/mint_token.py keygen --out dev-key.pem --jwks dev-jwks.json   # EdDSA pair
    python scripts/mint_token.py token --key dev-key.pem --sub alice

`token` prints a JWT valid for 15 minutes (Better Auth's lifetime), with `iss` / `aud` when
given (match them to AUTH_ISSUER / AUTH_AUDIENCE). `keygen` writes an Ed25519 private key and
the JWKS document an issuer would publish (serve it and point AUTH_JWKS_URL at it). For local
development only: a real issuer (Better Auth) mints the tokens of a deployed app.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

KID = "dev-1"


def keygen(out: Path, jwks: Path) -> None:
    """An Ed25519 private key (PEM) and the key set publishing its public half."""
    private = ed25519.Ed25519PrivateKey.generate()
    out.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = json.loads(jwt.get_algorithm_by_name("EdDSA").to_jwk(private.public_key()))
    document = {"keys": [{**public, "kid": KID, "alg": "EdDSA", "use": "sig"}]}
    jwks.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def token(args: argparse.Namespace) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {args.claim: args.sub, "iat": now, "exp": now + args.minutes * 60}
    if args.iss:
        claims["iss"] = args.iss
    if args.aud:
        claims["aud"] = args.aud
    if args.secret is not None:
        if len(args.secret.encode()) < 32:
            raise SystemExit("error: --secret must be at least 32 bytes, as AUTH_SECRET is")
        return jwt.encode(claims, args.secret, algorithm="HS256")
    key = serialization.load_pem_private_key(Path(args.key).read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SystemExit("error: --key must be an Ed25519 private key (from `keygen`)")
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": args.kid})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("keygen", help="write an Ed25519 key and its JWKS document")
    gen.add_argument("--out", type=Path, default=Path("dev-key.pem"))
    gen.add_argument("--jwks", type=Path, default=Path("dev-jwks.json"))
    mint = commands.add_parser("token", help="print a signed token")
    source = mint.add_mutually_exclusive_group(required=True)
    source.add_argument("--secret", help="HS256 with this shared secret (AUTH_SECRET)")
    source.add_argument("--key", help="EdDSA with this private key (from keygen)")
    mint.add_argument("--kid", default=KID, help=f"the key's id (default {KID})")
    mint.add_argument("--sub", required=True, help="the owner the token names")
    mint.add_argument("--claim", default="sub", help="the spec's owner_claim (default sub)")
    mint.add_argument("--iss", help="the issuer (AUTH_ISSUER)")
    mint.add_argument("--aud", help="the audience (AUTH_AUDIENCE)")
    mint.add_argument("--minutes", type=int, default=15, help="lifetime (default 15)")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        keygen(args.out, args.jwks)
        print(f"wrote {args.out} and {args.jwks}", file=sys.stderr)
    else:
        print(token(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
