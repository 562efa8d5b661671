#!/usr/bin/env python3
"""Writes a synthetic `accessdrift simulate` batch for benchmarking.

Usage: gen-simulate-batch.py N OUT.json   (N cases, ~2 KB each: 10,000 cases ~ 20 MB)

The mix looks like real requests: identity policies drawn from a pool (so many cases
share documents, as in one account), plus per-case resource policies, boundaries,
SCP levels, conditions on ~20% of statements and a share of Discovery-mode cases.
Deterministic (fixed seed) so runs compare.
"""
import json
import random
import sys

rnd = random.Random(20261124)
SERVICES = {
    "s3": (["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketPolicy", "PutBucketPolicy"],
           lambda a, i: f"arn:aws:s3:::bucket-{i}/data/obj-{i}.json" if a not in ("ListBucket", "GetBucketPolicy", "PutBucketPolicy") else f"arn:aws:s3:::bucket-{i}"),
    "dynamodb": (["GetItem", "PutItem", "Query", "Scan", "DeleteItem", "DescribeTable"],
                 lambda a, i: f"arn:aws:dynamodb:us-east-1:{acct(i)}:table/table-{i}"),
    "sqs": (["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
            lambda a, i: f"arn:aws:sqs:us-east-1:{acct(i)}:queue-{i}"),
    "kms": (["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
            lambda a, i: f"arn:aws:kms:us-east-1:{acct(i)}:key/{i:08d}-aaaa-bbbb-cccc-123456789012"),
    "secretsmanager": (["GetSecretValue", "DescribeSecret", "PutSecretValue"],
                       lambda a, i: f"arn:aws:secretsmanager:us-east-1:{acct(i)}:secret:app/secret-{i}-AbCdEf"),
}


def acct(i):
    return "111111111111" if i % 5 else "222222222222"


def condition():
    return rnd.choice([
        {"StringEquals": {"aws:PrincipalTag/team": rnd.choice(["credit", "risk", "ops"])}},
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}},
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/app-*"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    ])


def statement(effect="Allow"):
    svc = rnd.choice(list(SERVICES))
    acts, res = SERVICES[svc]
    n = rnd.randint(1, 4)
    st = {"Sid": f"S{rnd.randint(0, 99999)}", "Effect": effect,
          "Action": [f"{svc}:{a}" for a in rnd.sample(acts, min(n, len(acts)))] if rnd.random() > 0.15 else f"{svc}:*",
          "Resource": [res(a, rnd.randint(0, 400)).rsplit("-", 1)[0] + "*" for a in acts[:2]] if rnd.random() > 0.3 else "*"}
    if rnd.random() < 0.2:
        st["Condition"] = condition()
    return st


def policy(k):
    return {"Version": "2012-10-17", "Statement": [statement("Deny" if rnd.random() < 0.08 else "Allow") for _ in range(k)]}


POOL = [{"name": f"managed:arn:aws:iam::111111111111:policy/pool-{i}", "document": policy(rnd.randint(2, 4))} for i in range(300)]
SCP = [{"level": "r-ab12", "policies": [{"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]},
       {"level": "ou-ab12-prod", "policies": [{"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
                                               {"name": "DenyList", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["iam:CreateUser", "s3:PutBucketPublicAccessBlock", "kms:ScheduleKeyDeletion"], "Resource": "*"}]}}]}]


def case(i):
    svc = rnd.choice(list(SERVICES))
    acts, res = SERVICES[svc]
    a = rnd.choice(acts)
    principal = rnd.choice([f"arn:aws:sts::111111111111:assumed-role/app-{i % 97}/s{i}", f"arn:aws:iam::111111111111:user/u{i % 50}",
                            f"arn:aws:iam::222222222222:role/partner-{i % 13}"])
    c = {"id": f"case-{i}", "request": {"principal": principal, "action": f"{svc}:{a}", "resource": res(a, i),
                                        "resourceAccount": acct(i), "context": {"aws:PrincipalTag/team": rnd.choice(["credit", "risk"]), "aws:SecureTransport": "true"}},
         "policies": {"identity": rnd.sample(POOL, rnd.randint(1, 2)) + [policy(rnd.randint(1, 2))]}}
    if rnd.random() < 0.35:
        c["policies"]["resource"] = {"Version": "2012-10-17", "Statement": [
            dict(statement(), Principal={"AWS": rnd.choice(["arn:aws:iam::111111111111:root", principal, "arn:aws:iam::222222222222:root", "*"])})
            for _ in range(rnd.randint(1, 3))]}
    if rnd.random() < 0.2:
        c["policies"]["permissionBoundary"] = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"{s}:*" for s in rnd.sample(list(SERVICES), 3)], "Resource": "*"}]}
    if rnd.random() < 0.5:
        c["policies"]["scp"] = SCP
    if rnd.random() < 0.15:
        c["mode"] = "Discovery"
    return c


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w") as f:
        f.write("[\n")
        for i in range(n):
            f.write(json.dumps(case(i), separators=(",", ":")))
            f.write(",\n" if i + 1 < n else "\n")
        f.write("]\n")


if __name__ == "__main__":
    main()
