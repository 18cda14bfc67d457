package cognito

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

func TestErrorClasses(t *testing.T) {
	type classes struct{ notFound, refusal, transient, throttle, notEnabled bool }
	cases := []struct {
		err  error
		want classes
	}{
		{&types.ResourceNotFoundException{}, classes{notFound: true}},
		{&types.InvalidParameterException{}, classes{refusal: true}},
		{&types.FeatureUnavailableInTierException{}, classes{refusal: true}},
		{&types.TooManyRequestsException{}, classes{transient: true, throttle: true}},
		{&types.ConcurrentModificationException{}, classes{transient: true}},
		{&types.InternalErrorException{}, classes{transient: true}},
		{&types.NotAuthorizedException{}, classes{}},
		{&types.UserNotFoundException{}, classes{}},
		{&types.InvalidSmsRoleAccessPolicyException{}, classes{}},
		{&types.OperationNotEnabledException{}, classes{notEnabled: true}},
		// Classes go by the SDK's typed exceptions, not by a code in any error.
		{&smithy.GenericAPIError{Code: "TooManyRequestsException"}, classes{}},
		{errors.New("connection reset"), classes{}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%T", tc.err), func(t *testing.T) {
			// As the SDK returns them: inside an operation error, maybe wrapped again.
			wrapped := fmt.Errorf("get MFA config for %s: %w", "us-east-1_Pool1",
				&smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "GetUserPoolMfaConfig", Err: tc.err})
			for _, err := range []error{tc.err, wrapped} {
				got := classes{IsNotFound(err), IsRefusal(err), IsTransient(err), IsThrottle(err), IsNotEnabled(err)}
				if got != tc.want {
					t.Errorf("%v: classes %+v, want %+v", err, got, tc.want)
				}
			}
		})
	}
	if IsTransient(nil) || IsRefusal(nil) || IsNotFound(nil) || IsThrottle(nil) || IsNotEnabled(nil) || IsSMSInUse(nil) {
		t.Error("nil classified")
	}
}

// TestTransientCodes: the codes the SDK's retryer leaves alone are exactly
// the transient class, spelled as Cognito sends them.
func TestTransientCodes(t *testing.T) {
	want := []string{"TooManyRequestsException", "ConcurrentModificationException", "InternalErrorException"}
	got := TransientCodes()
	if !slices.Equal(got, want) {
		t.Fatalf("codes %v, want %v", got, want)
	}
	for _, err := range []smithy.APIError{&types.TooManyRequestsException{}, &types.ConcurrentModificationException{}, &types.InternalErrorException{}} {
		if !IsTransient(err) || !slices.Contains(got, err.ErrorCode()) {
			t.Errorf("%T: transient %v, code %q listed %v", err, IsTransient(err), err.ErrorCode(), slices.Contains(got, err.ErrorCode()))
		}
	}
}

// TestSMSInUse: Cognito's refusal to drop SMS MFA from a pool that sends
// SMS for other messages is told apart from other refusals.
func TestSMSInUse(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&types.InvalidParameterException{Message: aws.String("Can't turn off SMS_MFA when SMS configuration is set for the user pool")}, true},
		{&types.InvalidParameterException{Message: aws.String("Only PASSWORD and WEB_AUTHN (if configured) can be enabled as an auth factor if MFA is enabled")}, false},
		{&types.FeatureUnavailableInTierException{Message: aws.String("Can't turn off SMS_MFA when SMS configuration is set")}, false},
		{errors.New("Can't turn off SMS_MFA when SMS configuration is set"), false},
	}
	for _, tc := range cases {
		wrapped := &smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "SetUserPoolMfaConfig", Err: tc.err}
		if got := IsSMSInUse(wrapped); got != tc.want || !IsRefusal(wrapped) && tc.want {
			t.Errorf("%v: SMS in use %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestIsAccessDenied(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: tag:GetResources"}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"IAM denial", denied, true},
		{"wrapped", fmt.Errorf("read exemption tags: %w", denied), true},
		{"another API error", &smithy.GenericAPIError{Code: "ThrottledException"}, false},
		{"not an API error", errors.New("AccessDeniedException"), false},
		{"none", nil, false},
	}
	for _, tc := range cases {
		if got := IsAccessDenied(tc.err); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
