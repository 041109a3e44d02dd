"""A verified directory as text for operators: nodes with their keys' state now, revocations, departments."""

from __future__ import annotations

from datetime import datetime

from signing.directory import Directory, rfc3339
from signing.keys import TrustedKey


def render_directory(directory: Directory, *, now: datetime) -> str:
    lines = [
        f"federation {directory.federation}  serial {directory.serial}  root {directory.root}",
        f"issued {rfc3339(directory.issued_at)}  expires {rfc3339(directory.expires_at)}  "
        f"signed by {directory.document['sig']['kid']} ({directory.document['sig']['alg']})  verified",
        "",
        f"nodes ({len(directory.nodes)}):",
        f"  {'id':<8}{'parent':<8}{'endpoint':<32} name",
    ]
    for node in directory.nodes.values():
        # Names go last: CJK characters are two columns wide and would break the alignment.
        lines.append(f"  {node.id:<8}{node.parent or '-':<8}{node.endpoint:<32} {node.name}")
        for trusted in node.keys:
            lines.append(f"      key {trusted.key.kid} {trusted.key.alg:<5} {_window(trusted)}  "
                         f"{_state(directory, trusted, now)}")
    lines += ["", f"revoked keys ({len(directory.revoked)}):"]
    lines += [f"  {item.kid}  {rfc3339(item.revoked_at)}  {item.reason}"
              for item in directory.revoked.values()]
    lines += ["", f"departments ({len(directory.departments)}):"]
    lines += [f"  {dep.id:<20}{dep.jurisdiction:<8}node {dep.node}  {dep.industry}  {dep.name}"
              for dep in directory.departments]
    return "\n".join(lines)


def _window(trusted: TrustedKey) -> str:
    start = rfc3339(trusted.not_before) if trusted.not_before else "-"
    end = rfc3339(trusted.not_after) if trusted.not_after else "-"
    return f"{start} → {end}"


def _state(directory: Directory, trusted: TrustedKey, now: datetime) -> str:
    if directory.is_revoked(trusted.key.kid):
        return "REVOKED"
    if trusted.not_before is not None and now < trusted.not_before:
        return "not yet valid"
    if trusted.not_after is not None and now >= trusted.not_after:
        return "expired"
    return "valid"
