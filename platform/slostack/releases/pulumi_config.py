"""The release record a slostack-driven `pulumi up` writes into stack config (no Pulumi import).

`stack.history()` returns each update's config, so these keys ARE the Pulumi backend's ledger: a
rollback reads an earlier update's record and re-applies it. The spec's own text is recorded
(base64): a digest alone says that something changed, not how to deploy it again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..components.settings import NAMESPACE

__all__ = ["RELEASE_KEYS", "ReleaseRecord", "ReleaseRecordError", "decode_spec", "encode_spec", "full_key"]

# short key -> attribute; written by slostack, never by hand.
RELEASE_KEYS = {
    "releaseId": "release_id",
    "releaseKind": "kind",
    "specText": "spec_text",
    "specDigest": "spec_digest",
    "bundleDigest": "bundle_digest",
    "appVersion": "app_version",
    "sourceRelease": "source_release",
    "previousImage": "previous_image",
}


class ReleaseRecordError(ValueError):
    """A recorded release cannot be read back (hand-edited or truncated config)."""


def full_key(short: str) -> str:
    return f"{NAMESPACE}:{short}"


def encode_spec(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode_spec(data: str) -> str:
    try:
        return base64.b64decode(data.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise ReleaseRecordError(f"{full_key('specText')} is not base64 of UTF-8 text: {e}") from None


@dataclass(frozen=True)
class ReleaseRecord:
    release_id: str
    kind: str  # deploy | rollback
    spec_text: str  # the spec file's text, as deployed
    spec_digest: str
    bundle_digest: str
    app_version: str
    source_release: str = ""  # a rollback: the release it re-applies
    previous_image: str = ""  # the app image of the release this one replaced (docker rollback)

    def to_config(self) -> dict[str, str]:
        values = {short: getattr(self, attr) for short, attr in RELEASE_KEYS.items()}
        values["specText"] = encode_spec(self.spec_text)
        return {full_key(k): v for k, v in values.items()}

    @classmethod
    def from_config(cls, get: Callable[[str], str | None]) -> ReleaseRecord | None:
        """None when the update was not made by slostack (a plain `pulumi up`): nothing recorded."""
        release_id = get("releaseId")
        encoded = get("specText")
        if not release_id or not encoded:
            return None
        return cls(
            release_id=release_id,
            kind=get("releaseKind") or "deploy",
            spec_text=decode_spec(encoded),
            spec_digest=get("specDigest") or "",
            bundle_digest=get("bundleDigest") or "",
            app_version=get("appVersion") or "",
            source_release=get("sourceRelease") or "",
            previous_image=get("previousImage") or "",
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> ReleaseRecord | None:
        return cls.from_config(lambda key: values.get(full_key(key)))
