"""The slostack Pulumi program: one ReliabilityStack per stack, set up in stacks/Pulumi.<env>.yaml.

    pulumi up --stack dev       # docker, on the local daemon
    pulumi up --stack prod      # kubernetes, the current kube context

`slostack:spec` and `slostack:target` say what and where (see components/settings.py for every key).
When slostack drives the update (`slostack up --stack ...`, `slostack rollback --backend pulumi`), it
also records the release in config (releases/pulumi_config.py) and this program deploys exactly the
recorded spec text; a plain `pulumi up` deploys the spec file.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from slostack.components import ReliabilityStack, ReliabilityStackArgs, images
from slostack.components.secrets import SecretFileError, read_secret, read_secrets
from slostack.components.settings import NAMESPACE, SettingsError, StackSettings
from slostack.releases.pulumi_config import ReleaseRecord, ReleaseRecordError
from slostack.render.pipeline import spec_digest
from slostack.render.stack import has_healer
from slostack.spec import Spec, SpecError, load_spec, load_spec_text

ROOT = Path(__file__).resolve().parent.parent  # where Pulumi.yaml is; relative paths start here
MIN_TOKEN = 16


def _fail(message: str) -> pulumi.RunError:
    return pulumi.RunError(message)  # shown as one message, without a Python traceback


def _load(settings: StackSettings, record: ReleaseRecord | None) -> Spec:
    try:
        if record is not None:
            spec = load_spec_text(record.spec_text, f"{settings.spec_path} (release {record.release_id})")
            if record.spec_digest and spec_digest(spec) != record.spec_digest:
                raise _fail(f"release {record.release_id}: the recorded spec does not match its digest")
            return spec
        return load_spec(settings.spec_file(ROOT))
    except SpecError as e:
        raise _fail("\n".join(str(p) for p in e.problems)) from None


def main() -> None:
    config = pulumi.Config(NAMESPACE)
    try:
        settings = StackSettings.from_config(config.get)
        record = ReleaseRecord.from_config(config.get)
    except (SettingsError, ReleaseRecordError) as e:
        raise _fail(str(e)) from None
    spec = _load(settings, record)

    token = None
    try:
        if has_healer(spec):
            if not settings.healer_token_file:
                raise _fail(
                    f"{NAMESPACE}:healerTokenFile is not set: the path of a file holding the healer's "
                    f"webhook token (one word, {MIN_TOKEN}+ characters), e.g. `openssl rand -hex 24 > "
                    "~/.slostack/healer-token`"
                )
            token = read_secret(_local(settings.healer_token_file), what="healer token", min_length=MIN_TOKEN)
        secret_files = read_secrets(
            {name: str(_local(path)) for name, path in settings.secret_files.items()}, what="secret file"
        )
    except SecretFileError as e:
        raise _fail(str(e)) from None

    options = settings.render_options(spec)
    stack = ReliabilityStack(
        spec.name,
        spec,
        settings.target,
        ReliabilityStackArgs(
            healer_token=token,
            secret_files=secret_files,
            namespace=settings.kube_namespace(spec),
            operator=settings.uses_operator(spec),
            selector_labels=settings.selector_labels,
            app_image=settings.app_image,
            previous_app_image=record.previous_image if record and record.previous_image else None,
            healer_image=settings.healer_image or images.HEALER,
            build_root=str(ROOT),
            publish=settings.publish,
            render_options=options,
        ),
    )
    if record is not None and record.bundle_digest:
        # Re-rendering an old spec with a newer slostack may give other files; say so, don't refuse:
        # a rollback must still be possible after an upgrade.
        stack.bundle_digest.apply(
            lambda digest: (
                None
                if digest == record.bundle_digest
                else pulumi.log.warn(
                    f"release {record.release_id} recorded bundle {record.bundle_digest[:19]}, this slostack "
                    f"renders {digest[:19]} from the same spec (the renderer changed since)"
                )
            )
        )
    pulumi.export("urls", stack.urls)
    pulumi.export("bundleDigest", stack.bundle_digest)
    pulumi.export("specDigest", spec_digest(spec))
    pulumi.export("appVersion", spec.service.version if spec.service else "")
    pulumi.export("releaseId", record.release_id if record else "unrecorded")
    pulumi.export("namespace", stack.namespace)


def _local(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


main()
