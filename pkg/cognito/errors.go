package cognito

import (
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// exception is one of the SDK's typed Cognito errors: its code, and a test
// for it anywhere in an error chain.
type exception struct {
	code string
	in   func(error) bool
}

func exceptionOf[T any, P interface {
	*T
	smithy.APIError
}]() exception {
	return exception{
		code: P(new(T)).ErrorCode(),
		in: func(err error) bool {
			var e P
			return errors.As(err, &e)
		},
	}
}

// class is a set of exceptions the enforcer treats alike.
type class []exception

func (c class) has(err error) bool {
	return slices.ContainsFunc(c, func(e exception) bool { return e.in(err) })
}

var (
	notFound = exceptionOf[types.ResourceNotFoundException]()
	// The user was deleted (or renamed) after signing in.
	userNotFound = exceptionOf[types.UserNotFoundException]()
	throttle     = exceptionOf[types.TooManyRequestsException]()
	// The operation is not enabled here: a multi-Region pool's secondary
	// replica, whose configuration is written in its primary Region.
	// Retrying cannot help and the pool is not at fault.
	notEnabled = exceptionOf[types.OperationNotEnabledException]()
	// A write rejected for its content: retrying the same request cannot
	// succeed, but a weaker one may.
	refusals = class{
		exceptionOf[types.InvalidParameterException](),
		exceptionOf[types.FeatureUnavailableInTierException](),
	}
	// Worth retrying with backoff. pkg/reconcile retries these and the
	// SDK's retryer (pkg/setup) leaves them alone, both from this list.
	transient = class{
		throttle,
		exceptionOf[types.ConcurrentModificationException](),
		exceptionOf[types.InternalErrorException](),
	}
)

// IsNotFound reports Cognito's ResourceNotFoundException: the pool is gone.
func IsNotFound(err error) bool { return notFound.in(err) }

// IsUserNotFound reports Cognito's UserNotFoundException: the user is gone.
func IsUserNotFound(err error) bool { return userNotFound.in(err) }

// IsRefusal reports a write Cognito rejected for its content.
func IsRefusal(err error) bool { return refusals.has(err) }

// IsNotEnabled reports Cognito's OperationNotEnabledException: the call is
// not enabled for this pool in this Region (a secondary replica).
func IsNotEnabled(err error) bool { return notEnabled.in(err) }

// smsInUse is the start of Cognito's refusal to drop SMS MFA from a pool
// that sends SMS for other messages.
const smsInUse = "Can't turn off SMS_MFA when SMS configuration is set"

// IsSMSInUse reports Cognito refusing to turn SMS MFA off because the pool
// uses SMS for other messages.
func IsSMSInUse(err error) bool {
	var e *types.InvalidParameterException
	return errors.As(err, &e) && strings.Contains(e.ErrorMessage(), smsInUse)
}

// IsTransient reports errors worth retrying with backoff.
func IsTransient(err error) bool { return transient.has(err) }

// IsThrottle reports Cognito's TooManyRequestsException.
func IsThrottle(err error) bool { return throttle.in(err) }

// TransientCodes are the error codes of the transient errors, for the SDK's
// retryer, which sees errors by code.
func TransientCodes() []string {
	codes := make([]string, len(transient))
	for i, e := range transient {
		codes[i] = e.code
	}
	return codes
}

// IsAccessDenied reports an IAM denial: the caller's role lacks the action.
// The SDKs model it as no typed error, only by its code.
func IsAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException"
}
