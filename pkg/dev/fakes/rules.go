package fakes

// SetRefusal is Cognito's answer to a SetUserPoolMfaConfig request with
// this level and these factor blocks: the InvalidParameterException
// message, or "" when Cognito accepts it. Both fakes use it, so they
// refuse what Cognito refuses, in its words (see the notes on Cognito's
// MFA behaviour).
func SetRefusal(level string, totpBlock, totpEnabled, smsBlock, emailBlock bool) string {
	switch {
	case level != "OFF" && level != "ON" && level != "OPTIONAL":
		return "MfaConfiguration must be OFF, ON or OPTIONAL"
	case level != "OFF" && !totpEnabled && !smsBlock && !emailBlock:
		return "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
	case level == "OFF" && (totpBlock || smsBlock || emailBlock):
		return "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
	}
	return ""
}
