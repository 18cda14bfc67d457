#!/usr/bin/env bash
# The StackSet steps of the organisation rollout (docs/organisation.md), as
# TestRolloutCommands runs them against moto. Run from the
# repository, after `make package`, in the management account (or a StackSets
# delegated administrator):
#
#   PREFIX=acme-mfa-enforcer-code REGIONS="us-east-1 eu-west-1" \
#   CENTRAL_BUS_ARN=arn:aws:events:us-east-1:222222222222:event-bus/cognito-mfa-enforcer-central \
#   OU_IDS=ou-abcd-11111111,ou-abcd-22222222 \
#   pkg/org/rollout.sh upload|create|enforce
#
# upload:  the zips to each Region's code bucket (<PREFIX>-<region>), and the
#          member template to the first Region's: it is past the
#          51,200-byte --template-body limit (TestMemberTemplate logs its size), so the StackSet reads it from S3.
# create:  the StackSet in report mode, and its instances in the OUs.
# enforce: the same StackSet with the policy {} (enforce), all else as it was.
set -euo pipefail
: "${PREFIX:?the code buckets name prefix}" "${REGIONS:?the Regions to deploy to}"
PACKAGE=${PACKAGE:-build/package}
KEYS=${KEY_PREFIX:-cognito-mfa-enforcer/}
HOME_REGION=${HOME_REGION:-${REGIONS%% *}} # the StackSet's Region
NAME=${STACK_SET_NAME:-cognito-mfa-enforcer}
TEMPLATE_URL="https://$PREFIX-$HOME_REGION.s3.$HOME_REGION.amazonaws.com/${KEYS}member.template.json"

# Parameters go in a JSON file: the CLI's shorthand cannot carry a JSON value.
params=$(mktemp)
trap 'rm -f "$params"' EXIT

case "${1:-}" in
upload)
	for region in $REGIONS; do
		aws s3 cp "$PACKAGE/" "s3://$PREFIX-$region/$KEYS" --recursive --exclude '*' --include '*.zip' --region "$region"
	done
	aws s3 cp "$PACKAGE/member.template.json" "s3://$PREFIX-$HOME_REGION/${KEYS}member.template.json" --region "$HOME_REGION"
	;;
create)
	: "${CENTRAL_BUS_ARN:?the CentralBusArn output of the hub stack}" "${OU_IDS:?the OUs to deploy to, comma-separated}"
	cat >"$params" <<JSON
[
  {"ParameterKey": "CodeBucketPrefix", "ParameterValue": "$PREFIX"},
  {"ParameterKey": "CodeKeyPrefix", "ParameterValue": "$KEYS"},
  {"ParameterKey": "CentralFindingsBusArn", "ParameterValue": "$CENTRAL_BUS_ARN"},
  {"ParameterKey": "PolicyDocument", "ParameterValue": "{\"mode\":\"report\"}"},
  {"ParameterKey": "EnableSecurityHub", "ParameterValue": "true"}
]
JSON
	aws cloudformation create-stack-set --region "$HOME_REGION" --stack-set-name "$NAME" \
		--permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
		--capabilities CAPABILITY_IAM --template-url "$TEMPLATE_URL" --parameters "file://$params"
	# shellcheck disable=SC2086 # one argument per Region
	aws cloudformation create-stack-instances --region "$HOME_REGION" --stack-set-name "$NAME" \
		--deployment-targets "OrganizationalUnitIds=$OU_IDS" --regions $REGIONS
	;;
enforce)
	cat >"$params" <<JSON
[
  {"ParameterKey": "CodeBucketPrefix", "UsePreviousValue": true},
  {"ParameterKey": "CodeKeyPrefix", "UsePreviousValue": true},
  {"ParameterKey": "CentralFindingsBusArn", "UsePreviousValue": true},
  {"ParameterKey": "PolicyDocument", "ParameterValue": "{}"},
  {"ParameterKey": "EnableSecurityHub", "UsePreviousValue": true}
]
JSON
	aws cloudformation update-stack-set --region "$HOME_REGION" --stack-set-name "$NAME" \
		--use-previous-template --capabilities CAPABILITY_IAM --parameters "file://$params"
	;;
*)
	echo "usage: $0 upload|create|enforce (see the comment at the top)" >&2
	exit 2
	;;
esac
