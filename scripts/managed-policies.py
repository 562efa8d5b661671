#!/usr/bin/env python3
"""Builds the real-data regression account from every AWS managed policy.

The policies come from the AWS emulator the test command already installs: moto bundles
every AWS managed policy (``moto.iam.aws_managed_policies``), so the data is pinned by
the Makefile's MOTO_VERSION and fetched through the package registry, never copied into
this repository. Run it with the emulator venv's python:

    .venv-moto/bin/python scripts/managed-policies.py OUT_DIR

It writes into OUT_DIR (created):
- ``account.json``: a snapshot (shared/spec/snapshot.md) of account 111111111111 with
  one role per managed policy (the policy attached, the name derived from the policy),
  the policies' default versions under ``Policies``, a service-linked role, a user in a
  group, a customer managed policy, and one resource of every supported type, among
  them a Confidential S3 bucket;
- ``desired.yaml``: a desired state with owners and a ``max-principals`` on
  Confidential data, so that drift has real work;
- ``source.txt``: where the data came from (moto's version and the policy count).
"""

import json
import os
import re
import sys

ACCOUNT = "111111111111"
REGION = "us-east-1"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: managed-policies.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    try:
        import moto
        from moto.iam.aws_managed_policies import aws_managed_policies_data
    except ImportError as e:
        print(
            f"error: moto is not importable ({e}); run with the emulator venv's python "
            "(make emulator installs it)",
            file=sys.stderr,
        )
        return 1
    policies = json.loads(aws_managed_policies_data)
    os.makedirs(out, exist_ok=True)

    roles, details = [], []
    used = set()
    for name in sorted(policies):
        p = policies[name]
        path = p.get("Path", "/")
        arn = f"arn:aws:iam::aws:policy{path}{name}"
        version = p.get("DefaultVersionId", "v1")
        details.append(
            {
                "PolicyName": name,
                "Arn": arn,
                "Path": path,
                "DefaultVersionId": version,
                "PolicyVersionList": [
                    {"VersionId": version, "IsDefaultVersion": True, "Document": p["Document"]}
                ],
            }
        )
        # Role names: at most 64 of [\w+=,.@-].
        role = re.sub(r"[^\w+=,.@-]", "-", f"mp-{name}")[:64]
        while role in used:
            role = role[:60] + f"-{len(used) % 1000}"
        used.add(role)
        roles.append(
            {
                "Path": "/",
                "RoleName": role,
                "RoleId": f"AROA{len(roles):016d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "RolePolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": name, "PolicyArn": arn}],
                "Tags": [{"Key": "owner", "Value": "platform"}],
            }
        )
    slr = "AWSServiceRoleForConfig"
    roles.append(
        {
            "Path": "/aws-service-role/config.amazonaws.com/",
            "RoleName": slr,
            "RoleId": "AROASERVICELINKED000",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/{slr}",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "config.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "RolePolicyList": [],
            "AttachedManagedPolicies": [],
        }
    )
    app_policy = f"arn:aws:iam::{ACCOUNT}:policy/app-data"
    details.append(
        {
            "PolicyName": "app-data",
            "Arn": app_policy,
            "Path": "/",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [
                {
                    "VersionId": "v1",
                    "IsDefaultVersion": True,
                    "Document": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["s3:GetObject", "s3:PutObject"],
                                "Resource": "arn:aws:s3:::credit-applications/*",
                            }
                        ],
                    },
                }
            ],
        }
    )
    groups = [
        {
            "Path": "/",
            "GroupName": "app-team",
            "GroupId": "AGPAAPPTEAM000000000",
            "Arn": f"arn:aws:iam::{ACCOUNT}:group/app-team",
            "GroupPolicyList": [],
            "AttachedManagedPolicies": [{"PolicyName": "app-data", "PolicyArn": app_policy}],
        }
    ]
    users = [
        {
            "Path": "/",
            "UserName": "dev",
            "UserId": "AIDADEV0000000000000",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/dev",
            "UserPolicyList": [],
            "GroupList": ["app-team"],
            "AttachedManagedPolicies": [],
            "Tags": [{"Key": "owner", "Value": "credit-team"}],
        }
    ]
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
    confidential = {"owner": "credit-team", "classification": "Confidential"}
    resources = [
        {
            "arn": "arn:aws:s3:::credit-applications",
            "type": "AWS::S3::Bucket",
            "policy": None,
            "tags": confidential,
            "settings": {"region": REGION},
        },
        {"arn": "arn:aws:s3:::config-logs", "type": "AWS::S3::Bucket", "policy": None,
         "tags": {"owner": "platform"}, "settings": {"region": REGION}},
        {
            "arn": key,
            "type": "AWS::KMS::Key",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Enable IAM User Permissions",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            },
            "tags": {"owner": "credit-team"},
        },
        {"arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/credit-decisions",
         "type": "AWS::DynamoDB::Table", "policy": None, "tags": confidential},
        {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:credit-intake", "type": "AWS::SQS::Queue",
         "policy": None, "tags": {"owner": "credit-team"}},
        {"arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:credit-alerts", "type": "AWS::SNS::Topic",
         "policy": None, "tags": {"owner": "credit-team"}},
        {"arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:credit/db-AbCdEf",
         "type": "AWS::SecretsManager::Secret", "policy": None, "tags": confidential},
        {"arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:scorer",
         "type": "AWS::Lambda::Function", "policy": None, "tags": {"owner": "credit-team"}},
    ]
    snapshot = {
        "accountId": ACCOUNT,
        "authorizationDetails": {
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": details,
        },
        "resources": resources,
    }
    with open(os.path.join(out, "account.json"), "w") as f:
        json.dump(snapshot, f)
    with open(os.path.join(out, "desired.yaml"), "w") as f:
        f.write(
            "version: 1\n"
            "constraints:\n"
            "  - classification: Confidential\n"
            "    max-principals: {read-data: 5}\n"
            "    no-public-access: true\n"
            "resources:\n"
            "  - arn: arn:aws:s3:::credit-applications\n"
            "    owner: credit-team\n"
            "    classification: Confidential\n"
            "    capabilities:\n"
            f"      read-data: [arn:aws:iam::{ACCOUNT}:user/dev]\n"
            f"      write-data: [arn:aws:iam::{ACCOUNT}:user/dev]\n"
        )
    with open(os.path.join(out, "source.txt"), "w") as f:
        f.write(f"moto {moto.__version__}: {len(policies)} AWS managed policies\n")
    print(f"{out}: {len(policies)} AWS managed policies from moto {moto.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
