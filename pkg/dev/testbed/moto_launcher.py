"""Starts moto's server on 127.0.0.1 and a free port, printing "PORT <n>".

One patch, for the test bed only: aws-sdk-go-v2 leaves false booleans out of
a request, so disabling a user's SMS MFA is sent as "SMSMfaSettings": {}.
AWS reads the missing fields as false; moto ignores an empty settings object.
The patch fills the missing fields in as false, as AWS does. Production code
never depends on it.
"""
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


def main():
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print("PORT %d" % server.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
