"""A real S3-compatible server on loopback: moto's standalone server as a subprocess, stopped by its
process id, with the AWS variables that point boto3 at it, and credentials that may read but not
write (moto enforces IAM policies once told to), for uploads that fail while reads work."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx

from tests.support.processes import free_port, wait_for

READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
}


@dataclass
class S3Server:
    process: subprocess.Popen
    endpoint: str

    @classmethod
    def start(cls, log: Path) -> S3Server:
        port = free_port()
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = cls(process, f"http://127.0.0.1:{port}")
        wait_for(lambda: httpx.get(f"{server.endpoint}/moto-api/data.json").is_success, 30, interval=0.1)
        return server

    def environment(self, key_id: str = "lorecache", secret: str = "lorecache") -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, service: str = "s3"):
        environment = self.environment()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=environment["AWS_DEFAULT_REGION"],
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )

    def reader_environment(self) -> dict[str, str]:
        """AWS variables of a user who may read the buckets but not write them; from then on moto checks
        every request's credentials against IAM (`enforce_credentials(False)` ends that)."""
        iam = self.client("iam")
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(READ_ONLY))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        self.enforce_credentials(True)
        return self.environment(key["AccessKeyId"], key["SecretAccessKey"])

    def enforce_credentials(self, enforce: bool) -> None:
        count = b"0" if enforce else b"inf"
        httpx.post(f"{self.endpoint}/moto-api/reset-auth", content=count).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
