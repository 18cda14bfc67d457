package cognito

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// The SDK's write calls replace the whole configuration they are given
// (SetUserPoolMfaConfig, SetRiskConfiguration), so every field the SDK
// reads must be written back, or listed here as deliberately not, with why.
// A field an SDK upgrade adds then fails TestEveryFieldCarried, naming it,
// instead of being dropped from a customer's pool by the next correction.
var ignored = map[string]string{
	// Read-only: answered, never sent.
	"RiskConfiguration.LastModifiedDate": "read-only: Cognito sets it",
	"RiskConfiguration.UserPoolId":       "sent from the pool ID the check is about, not from the answer",
	"RiskConfiguration.ClientId":         "sent from the client the check is about; an answer without it is the pool's, which a client inherits",
}

// preferenceFields are the user-preference settings the enforcer writes;
// Enabled and PreferredMfa of each factor, and WebAuthnMfaSettings never
// (Cognito leaves a user's passkey MFA as it is when the request leaves
// it out; it has no preference).
var preferenceFields = map[string][]string{
	"SoftwareTokenMfaSettings": {"Enabled", "PreferredMfa"},
	"SMSMfaSettings":           {"Enabled", "PreferredMfa"},
	"EmailMfaSettings":         {"Enabled", "PreferredMfa"},
	"WebAuthnMfaSettings":      nil, // never sent
	"UserPoolId":               nil,
	"Username":                 nil,
}

// TestEveryFieldCarried: a pool's MFA configuration and a risk
// configuration, every field of the SDK's types filled with its own value,
// read and written back by the enforcer's conversions, arrive in the write
// field for field.
func TestEveryFieldCarried(t *testing.T) {
	t.Run("MFA configuration", func(t *testing.T) {
		var read cip.GetUserPoolMfaConfigOutput
		fill(reflect.ValueOf(&read).Elem(), "")
		read.MfaConfiguration = types.UserPoolMfaTypeOn // the conversion refuses an unknown level
		read.SoftwareTokenMfaConfiguration.Enabled = true
		c, err := fromGet(&read)
		if err != nil {
			t.Fatal(err)
		}
		missing := uncarried(reflect.ValueOf(read), reflect.ValueOf(*setInput("us-east-1_p", c)), "")
		for _, m := range missing {
			t.Errorf("%s is read from GetUserPoolMfaConfig but not written back by SetUserPoolMfaConfig: carry it (pkg/cognito/convert.go) or list it in ignored with why", m)
		}
		// What Cognito answers a write with is read the same way.
		var stored cip.SetUserPoolMfaConfigOutput
		fill(reflect.ValueOf(&stored).Elem(), "")
		stored.MfaConfiguration = types.UserPoolMfaTypeOn
		stored.SoftwareTokenMfaConfiguration.Enabled = true
		s, err := fromSet(&stored)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uncarried(reflect.ValueOf(stored), reflect.ValueOf(*setInput("us-east-1_p", s)), "") {
			t.Errorf("%s of SetUserPoolMfaConfig's answer is lost when the enforcer reads it", m)
		}
	})
	t.Run("risk configuration", func(t *testing.T) {
		var rc types.RiskConfigurationType
		fill(reflect.ValueOf(&rc).Elem(), "")
		rc.ClientId = nil // the pool's own
		r := riskOf("", &cip.DescribeRiskConfigurationOutput{RiskConfiguration: &rc})
		in := setRiskInput("us-east-1_p", r, r.Actions)
		for _, m := range uncarried(reflect.ValueOf(rc), reflect.ValueOf(*in), "RiskConfiguration") {
			t.Errorf("%s is read from DescribeRiskConfiguration but not written back by SetRiskConfiguration: carry it (pkg/cognito/risk.go) or list it in ignored with why", m)
		}
	})
	t.Run("user MFA preference", func(t *testing.T) {
		typ := reflect.TypeFor[cip.AdminSetUserMFAPreferenceInput]()
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			want, known := preferenceFields[f.Name]
			if !known {
				t.Errorf("AdminSetUserMFAPreferenceInput.%s is new: decide whether the enforcer sends it (pkg/cognito/convert.go) and list it in preferenceFields", f.Name)
				continue
			}
			if want == nil {
				continue
			}
			var have []string
			for g := range f.Type.Elem().Fields() {
				if g.IsExported() {
					have = append(have, g.Name)
				}
			}
			if !slices.Equal(have, want) {
				t.Errorf("AdminSetUserMFAPreferenceInput.%s has %v; the enforcer sends %v: a new setting of a user's factor must be decided", f.Name, have, want)
			}
		}
		// And what is sent carries each factor the user had.
		in := preferenceInput("p", "u", policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken, policy.SMS, policy.Email}},
			policy.UserMFA{Enabled: []policy.Factor{policy.SoftwareToken}, Preferred: policy.SoftwareToken})
		if in.SoftwareTokenMfaSettings == nil || in.SMSMfaSettings == nil || in.EmailMfaSettings == nil || in.WebAuthnMfaSettings != nil {
			t.Errorf("preference request %+v", in)
		}
	})
}

// TestGuardCatchesAnUncarriedField: the guard's walk finds a field the
// conversion drops (here a planted one) and names it.
func TestGuardCatchesAnUncarriedField(t *testing.T) {
	type sms struct{ SnsCallerArn, EumsSms *string }
	type block struct{ SmsConfiguration *sms }
	type planted struct{ SmsMfaConfiguration *block }
	var read planted
	fill(reflect.ValueOf(&read).Elem(), "")
	written := planted{SmsMfaConfiguration: &block{SmsConfiguration: &sms{SnsCallerArn: read.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn}}}
	got := uncarried(reflect.ValueOf(read), reflect.ValueOf(written), "")
	if !slices.Equal(got, []string{"SmsMfaConfiguration.SmsConfiguration.EumsSms"}) {
		t.Errorf("the guard found %v, want the planted field", got)
	}
}

// fill sets every exported field under v to a value of its own, named by
// its path: strings to the path, numbers to a counter, booleans true,
// pointers, slices and maps to one filled element.
func fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(&time.Time{}))
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() && f.Name != "ResultMetadata" {
				fill(v.Field(i), join(path, f.Name))
			}
		}
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(int64(len(path)))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, path+".key")
		fill(e, path+".value")
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// uncarried lists the leaf fields of read (path-named) whose value is not
// at the same place in written, less the ignored ones. Fields are matched
// by name, so a read type and a write type that share field names compare.
func uncarried(read, written reflect.Value, path string) []string {
	if _, skip := ignored[path]; skip {
		return nil
	}
	for read.Kind() == reflect.Pointer {
		if read.IsNil() {
			return nil
		}
		read = read.Elem()
	}
	for written.IsValid() && written.Kind() == reflect.Pointer {
		if written.IsNil() {
			written = reflect.Value{}
			break
		}
		written = written.Elem()
	}
	switch read.Kind() {
	case reflect.Struct:
		if read.Type() == reflect.TypeFor[time.Time]() {
			return nil
		}
		var out []string
		for i := range read.NumField() {
			f := read.Type().Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			var w reflect.Value
			if written.IsValid() && written.Kind() == reflect.Struct {
				w = written.FieldByName(f.Name)
			}
			out = append(out, uncarried(read.Field(i), w, join(path, f.Name))...)
		}
		return out
	case reflect.Slice, reflect.Map:
		if !written.IsValid() || fmt.Sprint(read.Interface()) != fmt.Sprint(written.Interface()) {
			return []string{path}
		}
		return nil
	}
	if !written.IsValid() || fmt.Sprint(read.Interface()) != fmt.Sprint(written.Interface()) {
		return []string{path}
	}
	return nil
}

func join(path, name string) string {
	return strings.TrimPrefix(path+"."+name, ".")
}
