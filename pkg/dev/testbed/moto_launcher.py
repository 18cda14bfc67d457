"""Starts moto's server on 127.0.0.1 and a free port, printing "PORT <n>".

Patches for moto's gaps, for the test bed only, each after the AWS behaviour it
follows (see the comment above each). The first: aws-sdk-go-v2 leaves false booleans out of
a request, so disabling a user's SMS MFA is sent as "SMSMfaSettings": {}.
AWS reads the missing fields as false; moto ignores an empty settings object.
The patch fills the missing fields in as false, as AWS does. Production code
never depends on it.
"""
import json
import sys

from moto.cognitoidp.models import CognitoIdpBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

_original = CognitoIdpBackend.admin_set_user_mfa_preference


def _as_aws_reads_it(settings):
    if settings is None:
        return None
    return {"Enabled": bool(settings.get("Enabled")), "PreferredMfa": bool(settings.get("PreferredMfa"))}


def _admin_set_user_mfa_preference(self, user_pool_id, username, software_token_mfa_settings, sms_mfa_settings):
    return _original(self, user_pool_id, username,
                     _as_aws_reads_it(software_token_mfa_settings), _as_aws_reads_it(sms_mfa_settings))


CognitoIdpBackend.admin_set_user_mfa_preference = _admin_set_user_mfa_preference


# --- Resource Groups Tagging API: user pools --------------------------------
# AWS's GetResources returns Cognito user pools (resource type
# "cognito-idp:userpool", ARN arn:aws:cognito-idp:<region>:<account>:userpool/<id>)
# with their tags, like any other taggable resource; moto 5.2 does not index
# user pools there. This adds them, after moto's own resources, with the same
# tag filter rules (every filter's key, with one of its values when it lists
# any) and, as moto does for the rest, only pools that carry tags.
from moto.cognitoidp.models import cognitoidp_backends
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

_original_resources = ResourceGroupsTaggingAPIBackend._get_resources_generator


def _user_pool_tags_match(tags, tag_filters):
    for f in tag_filters or []:
        if f["Key"] not in tags:
            return False
        if f.get("Values") and tags[f["Key"]] not in f["Values"]:
            return False
    return bool(tags)


def _resources_with_user_pools(self, tag_filters=None, resource_type_filters=None):
    yield from _original_resources(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters)
    if resource_type_filters and not {"cognito-idp", "cognito-idp:userpool"} & set(resource_type_filters):
        return
    for pool in cognitoidp_backends[self.account_id][self.region_name].user_pools.values():
        tags = pool.extended_config.get("UserPoolTags") or {}
        if _user_pool_tags_match(tags, tag_filters):
            yield {"ResourceARN": pool.arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


ResourceGroupsTaggingAPIBackend._get_resources_generator = _resources_with_user_pools


# --- Passwordless pools and passkeys -------------------------------------------
# AWS's SetUserPoolMfaConfig stores the Email and WebAuthn blocks (the latter
# with FactorConfiguration) and GetUserPoolMfaConfig returns them; moto 5.2
# keeps only SMS and TOTP, and, wanting one of those two, refuses ON or
# OPTIONAL with email MFA alone. AWS also refuses what the pool's sign-in
# policy (Policies.SignInPolicy.AllowedFirstAuthFactors, which moto stores
# from CreateUserPool) and feature plan rule out, in the words below, measured
# against AWS in go-to-k/cdkd #1920, #1923, #1975 and #2064; moto accepts it.
# This replaces the request handler with AWS's validations, the same rules as
# pkg/dev/fakes.SetRefusal, and keeps every block. A pool created without a
# plan reports ESSENTIALS, AWS's default.
from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import DEFAULT_USER_POOL_CONFIG
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

DEFAULT_USER_POOL_CONFIG["UserPoolTier"] = "ESSENTIALS"

_MULTI_FACTOR = "MULTI_FACTOR_WITH_USER_VERIFICATION"


class _FeatureUnavailableInTier(JsonRESTError):
    def __init__(self, message):
        super().__init__("FeatureUnavailableInTierException", message)


def _mfa_refusal(pool, level, totp, sms, email, web_authn):
    """The error AWS answers the request with, or None when it accepts it."""
    config = pool.extended_config
    first = set(((config.get("Policies") or {}).get("SignInPolicy") or {}).get("AllowedFirstAuthFactors") or [])
    factor = (web_authn or {}).get("FactorConfiguration", "")
    if level != "OFF" and not ((totp or {}).get("Enabled") or sms is not None or email is not None):
        if web_authn is not None:
            return InvalidParameterException("Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled.")
        return InvalidParameterException("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")
    if level == "OFF" and (totp is not None or sms is not None or email is not None):
        return InvalidParameterException("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")
    if level == "ON" and first & {"EMAIL_OTP", "SMS_OTP"}:
        return InvalidParameterException("Only PASSWORD and WEB_AUTHN (if configured) can be enabled as an auth factor if MFA is enabled")
    if level == "ON" and "WEB_AUTHN" in first and factor != _MULTI_FACTOR:
        return InvalidParameterException(
            "Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an allowed first auth factor")
    if config.get("UserPoolTier") == "LITE" and (email is not None or factor == _MULTI_FACTOR):
        return _FeatureUnavailableInTier("The following features need to be disabled for the LITE pricing tier configured: Email MFA or Passkey MFA")
    if sms is not None and "SmsConfiguration" not in sms:
        return InvalidParameterException("[SmsConfiguration] is a required member of [SoftwareTokenMfaConfiguration].")  # moto's own check
    return None


def _mfa_config(pool):
    out = {"MfaConfiguration": pool.mfa_config}
    for key, value in (("SoftwareTokenMfaConfiguration", pool.token_mfa_config),
                       ("SmsMfaConfiguration", pool.sms_mfa_config),
                       ("EmailMfaConfiguration", getattr(pool, "email_mfa_config", None)),
                       ("WebAuthnConfiguration", getattr(pool, "web_authn_config", None))):
        if value is not None:
            out[key] = value
    return out


def _set_user_pool_mfa_config(self):
    # The request as sent, not as moto's older botocore model parses it: the
    # SMS block's EumsSms (AWS End User Messaging, 2026-07) is not in that
    # model and would be dropped; AWS stores it.
    body = json.loads(self.body or "{}")
    level = body.get("MfaConfiguration")
    if level not in ("ON", "OFF", "OPTIONAL"):
        raise InvalidParameterException("[MfaConfiguration] must be one of 'ON', 'OFF', or 'OPTIONAL'.")
    pool = self.backend.describe_user_pool(body.get("UserPoolId"))
    totp, sms = body.get("SoftwareTokenMfaConfiguration"), body.get("SmsMfaConfiguration")
    email, web_authn = body.get("EmailMfaConfiguration"), body.get("WebAuthnConfiguration")
    refusal = _mfa_refusal(pool, level, totp, sms, email, web_authn)
    if refusal is not None:
        raise refusal
    # The call replaces the whole configuration, as on AWS; the blocks are
    # stored as sent and answered as stored (moto's serializer would drop
    # what its model lacks).
    pool.mfa_config, pool.token_mfa_config, pool.sms_mfa_config = level, totp, sms
    pool.email_mfa_config, pool.web_authn_config = email, web_authn
    return json.dumps(_mfa_config(pool))


def _get_user_pool_mfa_config(self, user_pool_id):
    return _mfa_config(self.describe_user_pool(user_pool_id))


def _get_user_pool_mfa_config_as_stored(self):
    return json.dumps(_mfa_config(self.backend.describe_user_pool(json.loads(self.body or "{}").get("UserPoolId"))))


CognitoIdpResponse.set_user_pool_mfa_config = _set_user_pool_mfa_config
CognitoIdpResponse.get_user_pool_mfa_config = _get_user_pool_mfa_config_as_stored
CognitoIdpBackend.get_user_pool_mfa_config = _get_user_pool_mfa_config


# --- Tags: TagResource and UntagResource ---------------------------------------
# AWS's TagResource adds or overwrites tags of a user pool named by its ARN, and
# UntagResource removes keys (Cognito API reference); DescribeUserPool and the
# Resource Groups Tagging API then show them. moto 5.2 has neither for Cognito:
# a pool's tags are only those it was created with (UserPoolTags).
def _tagged_pool(self):
    return self.backend.describe_user_pool(self._get_param("ResourceArn").rsplit("/", 1)[-1])


def _tag_resource(self):
    pool = _tagged_pool(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    tags.update(self._get_param("Tags") or {})
    pool.extended_config["UserPoolTags"] = tags
    return ActionResult({})


def _untag_resource(self):
    pool = _tagged_pool(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    pool.extended_config["UserPoolTags"] = tags
    return ActionResult({})


CognitoIdpResponse.tag_resource = _tag_resource
CognitoIdpResponse.untag_resource = _untag_resource


# --- Threat protection: risk configuration -------------------------------------
# moto 5.2 has no DescribeRiskConfiguration or SetRiskConfiguration. This models
# them as the Cognito API reference describes them (SetRiskConfiguration,
# DescribeRiskConfiguration, RiskConfigurationType) and the Developer Guide's
# "Threat protection" page: a configuration is set for the pool (no ClientId) or
# for one app client, and replaces what that target had (the call is not a
# merge); a request with only the IDs removes it, and a client without its own
# configuration has the pool's ("When this parameter isn't present, the risk
# configuration applies to all user pool app clients that don't have
# client-level settings"), so DescribeRiskConfiguration for such a client
# answers the pool's, without a ClientId. Threat protection needs the Plus
# feature plan: other pools are refused with FeatureUnavailableInTierException.
# Not modelled: the checks of NotifyConfiguration (its SES identity) and the
# compromised-credentials event filter. moto keeps UserPoolAddOns (the mode) and
# UserPoolTier as given at creation.
_RISK_FIELDS = ("AccountTakeoverRiskConfiguration", "CompromisedCredentialsRiskConfiguration", "RiskExceptionConfiguration")


def _risk_target(self):
    pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
    client = self._get_param("ClientId") or ""
    if client and client not in pool.clients:
        from moto.cognitoidp.exceptions import ResourceNotFoundError
        raise ResourceNotFoundError(client)
    return pool, client, pool.__dict__.setdefault("risk_configs", {})


def _risk_answer(pool, client, conf):
    out = dict(conf, UserPoolId=pool.id)
    if client:
        out["ClientId"] = client
    return ActionResult({"RiskConfiguration": out})


def _set_risk_configuration(self):
    pool, client, store = _risk_target(self)
    if pool.extended_config.get("UserPoolTier") != "PLUS":
        raise _FeatureUnavailableInTier("Threat protection requires the Plus feature plan")
    conf = {k: self._get_param(k) for k in _RISK_FIELDS if self._get_param(k) is not None}
    if conf:
        store[client] = conf
    else:
        store.pop(client, None)
    return _risk_answer(pool, client, conf)


def _describe_risk_configuration(self):
    pool, client, store = _risk_target(self)
    if client in store:
        return _risk_answer(pool, client, store[client])
    return _risk_answer(pool, "", store.get("", {}))


CognitoIdpResponse.set_risk_configuration = _set_risk_configuration
CognitoIdpResponse.describe_risk_configuration = _describe_risk_configuration


# --- UpdateUserPool and DescribeUserPool: a read-modify-write round trip ---------
# AWS's UpdateUserPool sets a pool to the request: a setting the request leaves
# out goes back to its default (UpdateUserPool API reference), as moto does. What
# moto 5.2 does otherwise, each patched after AWS:
# - UserPoolId names the pool: it is not a setting, and DescribeUserPool never
#   returns it; moto stores it among the settings.
# - PoolName renames the pool ("The updated name of your user pool", UpdateUserPool
#   API reference); moto stores it beside the unchanged Name.
# - MfaConfiguration is the pool's MFA level, the one GetUserPoolMfaConfig
#   reports. AWS refuses to turn it ON ("Cannot turn MFA functionality ON, once
#   the user pool has been created", InvalidParameterException;
#   aws-cloudformation/cloudformation-coverage-roadmap #1176) and keeps it when
#   the request leaves it out (measured on AWS: go-to-k/cdkd #1965, #1968). moto
#   stores any value beside the level, so DescribeUserPool and
#   GetUserPoolMfaConfig disagree. Not modelled: the factor checks of a change
#   to OPTIONAL.
# - UsernameAttributes, AliasAttributes and UsernameConfiguration are chosen at
#   creation and are not UpdateUserPool members, so an update keeps them; moto
#   resets them.
# - AWS refuses AdminCreateUserConfig.UnusedAccountValidityDays beside
#   Policies.PasswordPolicy.TemporaryPasswordValidityDays ("Please use
#   TemporaryPasswordValidityDays in PasswordPolicy instead of
#   UnusedAccountValidityDays": hashicorp/terraform-provider-aws #14294,
#   pulumi/pulumi-aws-native #1256), although DescribeUserPool returns both;
#   moto accepts it.
# - A boolean left out of a structure the request carries is false: the
#   aws-sdk-go-v2 leaves false booleans out (see the first patch), so AWS must
#   read them as false or a Go client could never set one false; moto stores
#   the structure without it, and DescribeUserPool then lacks it where AWS
#   answers false.
# - LastModifiedDate moves to the time of the update.
# And DescribeUserPool answers every member the pool stores: moto's serializer
# drops those its older botocore model lacks, such as SmsConfiguration.EumsSms
# (AWS End User Messaging, 2026-07), which AWS stores and returns. The answer is
# moto's own, with only those members added.
import botocore.session
from moto.core.utils import utcnow

_CREATION_ONLY = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration")
_UPDATE_USER_POOL = botocore.session.get_session().get_service_model("cognito-idp").operation_model("UpdateUserPool").input_shape


def _false_where_left_out(shape, value):
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                value[name] = _false_where_left_out(member, value[name])
            elif member.type_name == "boolean":
                value[name] = False
    elif shape.type_name == "list" and isinstance(value, list):
        return [_false_where_left_out(shape.member, v) for v in value]
    return value


def _update_user_pool(self):
    body = _false_where_left_out(_UPDATE_USER_POOL, json.loads(self.body or "{}"))
    pool = self.backend.describe_user_pool(body.pop("UserPoolId", None))
    level = body.pop("MfaConfiguration", None)
    if level == "ON" and pool.mfa_config != "ON":
        raise InvalidParameterException("Cannot turn MFA functionality ON, once the user pool has been created.")
    temporary = ((body.get("Policies") or {}).get("PasswordPolicy") or {}).get("TemporaryPasswordValidityDays")
    if temporary is not None and (body.get("AdminCreateUserConfig") or {}).get("UnusedAccountValidityDays"):
        raise InvalidParameterException("Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays")
    name = body.pop("PoolName", None)
    for key in _CREATION_ONLY:
        body.pop(key, None)
        if key in pool.extended_config:
            body[key] = pool.extended_config[key]
    pool.update_extended_config(body)
    pool.extended_config.pop("MfaConfiguration", None)
    if level is not None:
        pool.mfa_config = level
    if name:
        pool.name = name
    pool.last_modified_date = utcnow()
    return "{}"


def _add_missing(answer, stored):
    for key, value in stored.items():
        if value is None:
            continue
        if key not in answer:
            answer[key] = value
        elif isinstance(value, dict) and isinstance(answer[key], dict):
            _add_missing(answer[key], value)


def _describe_user_pool_as_stored(self):
    pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
    _, _, body = self.serialized(ActionResult({"UserPool": pool.to_json(extended=True)}))
    answer = json.loads(body)
    # Request members moto keeps among the settings (CreateUserPool's PoolName)
    # are not pool members; the level is MfaConfiguration's own.
    stored = {k: v for k, v in pool.extended_config.items() if k not in ("PoolName", "UserPoolId", "Schema", "MfaConfiguration")}
    _add_missing(answer["UserPool"], stored)
    return json.dumps(answer)


CognitoIdpResponse.update_user_pool = _update_user_pool
CognitoIdpResponse.describe_user_pool = _describe_user_pool_as_stored


# --- SQS FIFO: one receiver per message group ------------------------------------
# AWS: "When you receive a message with a message group ID, no more messages for
# the same message group ID are returned unless you delete the message or it
# becomes visible" (Amazon SQS Developer Guide, FIFO queue logic). moto 5.2
# reads the groups in flight before it marks what it returns, with no lock, so
# two ReceiveMessage calls at the same moment on the threaded server can both
# take messages of one group. This makes each receive one step, as in SQS (the
# tests never long-poll, which would hold the lock for its wait).
import threading

from moto.sqs.models import SQSBackend

_receive_lock = threading.Lock()
_moto_receive_message = SQSBackend.receive_message


def _receive_message(self, *args, **kwargs):
    with _receive_lock:
        return _moto_receive_message(self, *args, **kwargs)


SQSBackend.receive_message = _receive_message


# --- Request-rate quotas ---------------------------------------------------------
# AWS answers TooManyRequestsException once an account's calls of one quota
# category pass its rate per second (Cognito Developer Guide, "Quotas in Amazon
# Cognito": per-category request rate quotas, and footnote 3: every single
# operation of UserPoolResourceRead/Update and UserPoolClientRead/Update is also
# limited to 5 per second per user pool); moto never throttles. The table comes
# from pkg/quota through COGNITO_QUOTAS (one table for the Go code and moto).
# Off until a test asks: POST /_quota/throttle {"fraction": f} throttles at f
# times AWS's quotas (0: off) and resets the counters; GET /_quota/counts gives
# calls and throttled calls per category.
#
# Provisioned limits (2026-07-02): GetProvisionedLimit (category LimitManagement)
# answers a category's ProvisionedLimitValue, the rate Cognito enforces for the
# account, and FreeLimitValue, the published default; moto 5.2 has no such call.
# Answered here, as the published default unless a test raised it with POST
# /_quota/provisioned {"limits": {"UserPoolResourceRead": 40}} (throttling then
# follows the raised limit too), or denied with {"deny": true}
# (AccessDeniedException, as for a role without cognito-idp:GetProvisionedLimit).
import io
import json
import os
import threading
import time


class _Quotas:
    def __init__(self, table):
        self.category, self.rps, self.per_pool = {}, {}, {}
        for row in table:
            if row["service"] != "cognito-idp":
                continue
            for op in row["operations"]:
                self.category[op] = row["category"]
            self.rps[row["category"]] = row["rps"]
            self.per_pool[row["category"]] = row.get("perPool", 0)
        self.lock = threading.Lock()
        self.fraction, self.buckets, self.counts = 0.0, {}, {}
        self.provisioned, self.deny_limits = {}, False

    def _take(self, key, rate, now):
        # A token bucket holding one second of calls, full at first.
        if rate <= 0:
            return True
        tokens, last = self.buckets.get(key, (rate, now))
        tokens = min(rate, tokens + (now - last) * rate)
        ok = tokens >= 1
        self.buckets[key] = (tokens - 1 if ok else tokens, now)
        return ok

    def throttled(self, op, pool):
        category = self.category.get(op)
        if category is None:
            return False
        with self.lock:
            count = self.counts.setdefault(category, {"calls": 0, "throttled": 0})
            count["calls"] += 1
            if self.fraction <= 0:
                return False
            now = time.monotonic()
            ok = self._take(category, self.provisioned.get(category, self.rps[category]) * self.fraction, now)
            if pool and self.per_pool[category]:
                ok = self._take((op, pool), self.per_pool[category] * self.fraction, now) and ok
            if not ok:
                count["throttled"] += 1
            return not ok

    def limit(self, body):
        """GetProvisionedLimit's answer: status and JSON body."""
        if self.deny_limits:
            return "400 Bad Request", {"__type": "AccessDeniedException", "message": "User is not authorized to perform: cognito-idp:GetProvisionedLimit"}
        definition = json.loads(body or b"{}").get("LimitDefinition") or {}
        category = (definition.get("Attributes") or {}).get("Category", "")
        if definition.get("LimitClass") != "API_CATEGORY" or category not in self.rps:
            return "400 Bad Request", {"__type": "InvalidParameterException", "message": "Unknown limit " + json.dumps(definition)}
        with self.lock:
            value = self.provisioned.get(category, self.rps[category])
        return "200 OK", {"Limit": {"LimitDefinition": definition, "ProvisionedLimitValue": int(value), "FreeLimitValue": int(self.rps[category])}}

    def control(self, environ, start_response):
        if environ["PATH_INFO"] == "/_quota/provisioned":
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            with self.lock:
                self.provisioned = dict(body.get("limits") or {})
                self.deny_limits = bool(body.get("deny"))
            out = b"{}"
        elif environ["PATH_INFO"] == "/_quota/throttle":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            with self.lock:
                self.fraction = float(json.loads(body or b"{}").get("fraction", 0))
                self.buckets, self.counts = {}, {}
            out = b"{}"
        else:
            with self.lock:
                out = json.dumps(self.counts).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]


def _answer(start_response, status, doc):
    out = json.dumps(doc).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(out)))]
    if "__type" in doc:
        headers.append(("x-amzn-ErrorType", doc["__type"]))
    start_response(status, headers)
    return [out]


def _throttling(app, quotas):
    prefix = "AWSCognitoIdentityProviderService."

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_quota/"):
            return quotas.control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(prefix):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                pool = json.loads(body or b"{}").get("UserPoolId", "")
            except ValueError:
                pool = ""
            op = target[len(prefix):]
            if quotas.throttled(op, pool):
                return _answer(start_response, "400 Bad Request", {"__type": "TooManyRequestsException", "message": "Rate exceeded"})
            if op == "GetProvisionedLimit":
                return _answer(start_response, *quotas.limit(body))
        return app(environ, start_response)

    return wsgi


def main():
    app = DomainDispatcherApplication(create_backend_app)
    app = _throttling(app, _Quotas(json.loads(os.environ.get("COGNITO_QUOTAS", "[]"))))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print("PORT %d" % server.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
