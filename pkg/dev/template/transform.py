"""Prints a SAM template after the SAM transform, as JSON, using the SAM
translator that cfn-lint installs. Managed policies are not resolved."""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    def load(self):
        return {}


os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pseudo parameters need one
with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
# `sam deploy` uploads local code and writes its S3 location; do the same.
for resource in template.get("Resources", {}).values():
    props = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith("s3://"):
        props["CodeUri"] = "s3://deployment-bucket/code.zip"
print(json.dumps(transform(template, {}, NoManagedPolicies())))
