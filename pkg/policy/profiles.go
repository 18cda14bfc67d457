package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// loadProfiles reads a version 2 document's profiles into p, which holds
// its exemptions; present are the document's top-level members. The
// result's own rules are the default profile's.
func (d document) loadProfiles(p Policy, present map[string]json.RawMessage) (Policy, error) {
	keys := ruleKeys()
	for _, k := range keys {
		if _, set := present[k]; set {
			return Policy{}, fmt.Errorf("policy: version 2 keeps its rules in profiles: move %s into profiles.<name>", strings.Join(keys, ", "))
		}
	}
	if len(d.Profiles) == 0 {
		return Policy{}, errors.New("policy: profiles: version 2 needs at least one profile")
	}
	names := slices.Sorted(maps.Keys(d.Profiles))
	p.Profiles = map[string]Policy{}
	for _, name := range names {
		// A profile is named by a tag value: at most 256 characters.
		if n := utf8.RuneCountInString(name); n == 0 || n > 256 {
			return Policy{}, fmt.Errorf("policy: profiles: a profile name must be 1 to 256 characters, got %q", name)
		}
		rules := Settings(d.Profiles[name])
		if err := rules.check("profiles." + name + "."); err != nil {
			return Policy{}, err
		}
		p.Profiles[name] = Policy{Version: 2, Profile: name, Settings: rules, Exemptions: Exemptions{PoolIDs: []string{}}}
	}
	if _, set := present["default"]; !set {
		return Policy{}, fmt.Errorf("policy: default: version 2 names its default profile (one of %s)", strings.Join(names, ", "))
	}
	if _, ok := p.Profiles[d.Default]; !ok {
		return Policy{}, fmt.Errorf("policy: default: %q is not a profile (profiles: %s)", d.Default, strings.Join(names, ", "))
	}
	p.Default = d.Default
	if _, set := present["profileTag"]; set {
		if err := checkTagKey("profileTag", d.ProfileTag); err != nil {
			return Policy{}, err
		}
		p.ProfileTag = d.ProfileTag
	}
	for _, id := range slices.Sorted(maps.Keys(d.ProfilePools)) {
		if !IsPoolID(id) {
			return Policy{}, fmt.Errorf("policy: profilePools: %q is not a user pool ID (like us-east-1_AbC123)", id)
		}
		if _, ok := p.Profiles[d.ProfilePools[id]]; !ok {
			return Policy{}, fmt.Errorf("policy: profilePools.%s: %q is not a profile (profiles: %s)", id, d.ProfilePools[id], strings.Join(names, ", "))
		}
	}
	p.ProfilePools = d.ProfilePools
	def := p.Profiles[p.Default]
	p.Profile, p.Settings = def.Profile, def.Settings
	return p, nil
}

// For returns the rules that judge one pool: in a version 2 policy, the
// profile the pool's ID is listed with in profilePools, else the one its
// profileTag names, else the default. A tag naming no profile is an error:
// the pool is not judged by rules its owner did not choose. tags may be nil
// when the policy has no profileTag.
func (p Policy) For(poolID string, tags map[string]string) (Policy, error) {
	if len(p.Profiles) == 0 {
		return p, nil
	}
	name, ok := p.ProfilePools[poolID]
	if !ok {
		name = p.Default
		if v, tagged := tags[p.ProfileTag]; tagged && p.ProfileTag != "" {
			if _, known := p.Profiles[v]; !known {
				return Policy{}, fmt.Errorf("the pool's tag %s=%q names no profile of the policy (profiles: %s)",
					p.ProfileTag, v, strings.Join(slices.Sorted(maps.Keys(p.Profiles)), ", "))
			}
			name = v
		}
	}
	return p.Named(name), nil
}

// Named returns the rules of the named profile, with the policy's origin
// and exemptions; p itself for a version 1 policy or an unknown name.
func (p Policy) Named(profile string) Policy {
	prof, ok := p.Profiles[profile]
	if !ok {
		return p
	}
	prof.Origin, prof.Exemptions = p.Origin, p.Exemptions
	return prof
}

// TagKeys lists the tag keys the policy's rules look at: the exemption tag
// and the profile tag.
func (p Policy) TagKeys() []string {
	var keys []string
	for _, k := range []string{p.Exemptions.TagKey, p.ProfileTag} {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}
