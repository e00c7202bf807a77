"""Who is calling: the STS caller ARN on AWS, the OS user locally."""

from __future__ import annotations

import getpass
import socket


def local_caller() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"local:{user}@{socket.gethostname()}"


def aws_caller(sts_client) -> str:
    return sts_client.get_caller_identity()["Arn"]
