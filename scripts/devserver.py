"""`make run`'s server: uvicorn with the dev settings on HOST:PORT, saying where to open it.

`python -m scripts.devserver` (HOST and PORT from the environment). HOST=0.0.0.0 (or ::)
listens on every interface, so a phone or another computer on the same network can connect.
Their requests name this machine by its address, which Django refuses unless it is an
allowed host: unless DJANGO_ALLOWED_HOSTS is set, this sets it to the machine's addresses and
name, and prints the URLs to open on the other device.
"""

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Mapping

EVERY_INTERFACE = {"0.0.0.0", "::", "[::]"}  # noqa: S104 - listening everywhere is the point


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, found without sending anything."""
    candidates: list[str] = []
    for command in (["hostname", "-I"], ["ipconfig", "getifaddr", "en0"]):  # Linux, macOS
        try:
            result = subprocess.run(  # noqa: S603 - fixed commands, no input
                command, capture_output=True, text=True, timeout=2
            )
        except (OSError, subprocess.SubprocessError):
            continue
        candidates += result.stdout.split() if result.returncode == 0 else []
    with contextlib.suppress(OSError):
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    found: list[str] = []
    for address in candidates:
        if ":" not in address and not address.startswith("127.") and address not in found:
            found.append(address)
    return found


def plan(
    host: str, port: str, environ: Mapping[str, str], addresses: list[str], hostname: str
) -> tuple[dict[str, str], list[str]]:
    """The server's environment and the lines to print before it starts."""
    env = {**environ, "DJANGO_SETTINGS_MODULE": "project.settings.dev"}
    paths = "API docs: /api/docs/, admin: /admin/, WebSocket: /ws/notifications/"
    if host not in EVERY_INTERFACE:
        return env, [f"Ripple on http://{host}:{port}/  ({paths})"]
    lines = [
        f"Ripple on every interface, port {port}  ({paths})",
        f"  on this machine:      http://127.0.0.1:{port}/",
    ]
    # Other devices reach it by address; the name works where the network resolves it.
    names = [*addresses, *([hostname, f"{hostname}.local"] if hostname else [])]
    lines += [f"  from another device:  http://{name}:{port}/" for name in addresses or names[1:]]
    if not addresses:
        lines.append("  (found no network address: see `ip addr`; add it to DJANGO_ALLOWED_HOSTS)")
    if environ.get("DJANGO_ALLOWED_HOSTS"):
        lines.append(f"  allowed host names: localhost and {environ['DJANGO_ALLOWED_HOSTS']}")
    else:
        env["DJANGO_ALLOWED_HOSTS"] = ",".join(names)
    lines.append("  (a firewall on this machine may have to let the port in)")
    return env, lines


def main() -> None:
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    hostname = socket.gethostname() if host in EVERY_INTERFACE else ""
    addresses = lan_addresses() if host in EVERY_INTERFACE else []
    env, lines = plan(host, port, os.environ, addresses, hostname)
    print("\n".join(lines), flush=True)  # noqa: T201 - the developer reads this
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "project.asgi:application",
        *("--host", host.strip("[]"), "--port", port),
        *("--ws-max-size", "65536", "--ws-per-message-deflate", "false", "--no-access-log"),
    ]
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter, fixed arguments


if __name__ == "__main__":
    main()
