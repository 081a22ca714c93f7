"""s3://bucket/prefix?endpoint=...&region=... — S3 or any S3-compatible object store, with boto3.

Credentials come only from where AWS tools look for them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, ~/.aws/credentials, an instance role), never from config.yaml. The URL's query may set
`endpoint` (for stores other than AWS; path-style addressing is then used), `region`, and `addressing`
(path, virtual or auto) to override the default.

Objects cannot be listed with their SHA-256 cheaply (ETags are MD5 at best, and not even that for
multipart uploads), so changes are found with the `.vestka-deploy.json` kept under the prefix, which is
written last: a deploy that stops half way uploads again everything the old manifest does not vouch for.
The prefix is listed too, so that an object deleted by hand is uploaded again.

Every object a deploy uploads carries its SHA-256 in the `x-amz-meta-vestka-sha256` header. Before an
object is replaced or deleted, that header is read back: an object that has no such header (put there by
another tool or by hand) or whose header differs from the manifest's hash is a conflict, never silently
overwritten. Replacing an object through other tools drops its metadata, so such edits are caught.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self
from urllib.parse import SplitResult, parse_qs, unquote

from generator.config import DeployTarget
from generator.deploy.manifest import TARGET_MANIFEST, UNKNOWN
from generator.errors import DeployError

#: Content types for the files a site has, decided here rather than by the machine's mime.types.
CONTENT_TYPES = MappingProxyType({
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".map": "application/json",
    ".xml": "application/xml", ".atom": "application/atom+xml", ".rss": "application/rss+xml",
    ".xsl": "application/xslt+xml", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json",
    ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv", ".ics": "text/calendar",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".pdf": "application/pdf",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".wasm": "application/wasm", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".webm": "video/webm",
    ".zip": "application/zip",
})
#: Types that carry text and therefore get "; charset=utf-8".
_TEXT_TYPES = ("application/json", "application/xml", "application/atom+xml", "application/rss+xml",
               "application/xslt+xml", "application/manifest+json", "text/javascript")
_QUERY_KEYS = ("endpoint", "region", "addressing")
#: User metadata key (x-amz-meta-…) holding the SHA-256 of an uploaded object.
HASH_KEY = "vestka-sha256"
# Python's built-in table only: the result must not depend on the machine's /etc/mime.types.
_BUILTIN_TYPES = mimetypes.MimeTypes()


def content_type(rel_path: str) -> str:
    """The Content-Type header for a file of the site, with charset=utf-8 for text."""
    suffix = Path(rel_path).suffix.lower()
    kind = CONTENT_TYPES.get(suffix) or _BUILTIN_TYPES.guess_type(rel_path, strict=False)[0]
    kind = kind or "application/octet-stream"
    if kind.startswith("text/") or kind in _TEXT_TYPES:
        kind += "; charset=utf-8"
    return kind


def open_session(target: DeployTarget, url: SplitResult) -> S3Session:
    example = "s3://bucket/prefix?region=eu-central-1&endpoint=https://s3.example.org"
    if not url.hostname or url.username or url.port or url.fragment:
        raise DeployError(f"cannot deploy to {target.url!r}: write the target as {example}")
    try:
        query = parse_qs(url.query, keep_blank_values=True, strict_parsing=bool(url.query))
    except ValueError:
        raise DeployError(f"cannot deploy to {target.url!r}: cannot read the query {url.query!r}; "
                          f"write it as ?endpoint=URL&region=NAME") from None
    unknown = sorted(set(query) - set(_QUERY_KEYS))
    if unknown:
        raise DeployError(f"cannot deploy to {target.url!r}: unknown setting {unknown[0]!r} in the URL; "
                          f"known: {', '.join(_QUERY_KEYS)}")
    options = {key: values[-1] for key, values in query.items()}
    endpoint = options.get("endpoint") or None
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise DeployError(f"cannot deploy to {target.url!r}: endpoint must be an http(s) URL, "
                          f"not {endpoint!r}")
    addressing = options.get("addressing") or ("path" if endpoint else "auto")
    if addressing not in ("path", "virtual", "auto"):
        raise DeployError(f"cannot deploy to {target.url!r}: addressing must be path, virtual or auto")
    prefix = unquote(url.path).strip("/")
    return S3Session(url.hostname, prefix, endpoint, options.get("region") or None, addressing, target.url)


class S3Session:
    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str | None,
                 addressing: str, where: str) -> None:
        import boto3  # imported here: only S3 deploys need it
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.where = where
        config = Config(s3={"addressing_style": addressing}, connect_timeout=10, read_timeout=60,
                        retries={"max_attempts": 5, "mode": "standard"})
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region,
                                                     config=config)
        self._present: set[str] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def read_manifest(self) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self._call(self.client.get_object, Bucket=self.bucket, Key=self.key(TARGET_MANIFEST))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._error(exc) from None
        return response["Body"].read()

    def changed(self, output_dir: Path, files: dict[str, str], recorded: dict[str, str]) -> set[str]:
        present = self._listing()
        return {rel for rel, digest in files.items() if recorded.get(rel) != digest or rel not in present}

    def current(self, paths: list[str]) -> dict[str, str | None]:
        from botocore.exceptions import ClientError

        present = self._listing()
        out: dict[str, str | None] = {}
        for rel in paths:
            if rel not in present:
                out[rel] = None
                continue
            try:
                head = self._call(self.client.head_object, Bucket=self.bucket, Key=self.key(rel))
            except ClientError:
                out[rel] = None  # gone since the listing
                continue
            out[rel] = head.get("Metadata", {}).get(HASH_KEY) or UNKNOWN
        return out

    def _listing(self) -> set[str]:
        if self._present is None:
            def keys() -> set[str]:
                pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                              Prefix=self.prefix)
                return {item["Key"][len(self.prefix):] for page in pages for item in page.get("Contents", [])}

            self._present = self._call(keys)
        return self._present

    def apply(self, output_dir: Path, upload: dict[str, str], delete: list[str], manifest: bytes | None,
              progress: Callable[[str], None]) -> None:
        for rel, digest in upload.items():
            progress(f"upload {rel}")
            self._call(self.client.upload_file, str(output_dir / rel), self.bucket, self.key(rel),
                       ExtraArgs={"ContentType": content_type(rel), "Metadata": {HASH_KEY: digest}})
        for start in range(0, len(delete), 1000):  # DeleteObjects takes at most 1000 keys
            batch = delete[start:start + 1000]
            for rel in batch:
                progress(f"delete {rel}")
            response = self._call(self.client.delete_objects, Bucket=self.bucket, Delete={
                "Objects": [{"Key": self.key(rel)} for rel in batch], "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise DeployError(f"deleting from {self.where!r} failed for {len(response['Errors'])} "
                                  f"objects, e.g. {first.get('Key')}: {first.get('Message')}")
        if manifest is not None:
            progress(f"write {TARGET_MANIFEST}")
            self._call(self.client.put_object, Bucket=self.bucket, Key=self.key(TARGET_MANIFEST),
                       Body=manifest, ContentType="application/json; charset=utf-8",
                       CacheControl="no-cache")

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return method(*args, **kwargs)
        except NoCredentialsError:
            raise DeployError(f"cannot deploy to {self.where!r}: no AWS credentials found; set "
                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
                              "(never put keys in config.yaml)") from None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise
            raise self._error(exc) from None
        except (BotoCoreError, S3UploadFailedError) as exc:
            raise DeployError(f"deploy to {self.where!r} failed: {exc}") from None

    def _error(self, exc: Exception) -> DeployError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        hints = {"NoSuchBucket": "create the bucket first, or check its name",
                 "SignatureDoesNotMatch": "check AWS_SECRET_ACCESS_KEY",
                 "InvalidAccessKeyId": "check AWS_ACCESS_KEY_ID",
                 "AccessDenied": "the credentials may not write to this bucket"}
        hint = hints.get(code)
        return DeployError(f"deploy to {self.where!r} failed: {exc}" + (f" — {hint}" if hint else ""))
