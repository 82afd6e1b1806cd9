package iis

import "time"

// valueKind is how IIS reads an attribute's value.
type valueKind int

const (
	kindString   valueKind = iota
	kindBool               // "true" or "false", any case
	kindUint               // a decimal uint32 within [min, max]
	kindTimeSpan           // hh:mm:ss or d.hh:mm:ss, at most maxSpan
	kindEnum               // one of enum, any case
)

type attrSpec struct {
	kind     valueKind
	min, max uint64
	maxSpan  time.Duration
	spanStep time.Duration // a time span must be a multiple of it; 0: a second
	enum     []string
	required bool
}

// elemSpec is what an element of a checked section may hold. An open
// element is known but its content is not checked.
type elemSpec struct {
	attrs    map[string]attrSpec
	children map[string]*elemSpec
	open     bool
}

var (
	str      = attrSpec{kind: kindString}
	required = attrSpec{kind: kindString, required: true}
	boolean  = attrSpec{kind: kindBool}
	uint32s  = attrSpec{kind: kindUint, max: maxContentLength}
)

func uintRange(min, max uint64) attrSpec { return attrSpec{kind: kindUint, min: min, max: max} }
func timeSpan(max, step time.Duration) attrSpec {
	return attrSpec{kind: kindTimeSpan, maxSpan: max, spanStep: step}
}
func enum(vals ...string) attrSpec { return attrSpec{kind: kindEnum, enum: vals} }

func empty() *elemSpec { return &elemSpec{} }
func open() *elemSpec  { return &elemSpec{open: true} }
func named() *elemSpec { return &elemSpec{attrs: map[string]attrSpec{"name": required}} }
func nameValue() *elemSpec {
	return &elemSpec{attrs: map[string]attrSpec{"name": required, "value": required}}
}
func environmentSpec() *elemSpec { return collection("environmentVariable", nameValue(), false) }

// recycleSpec lists files whose change makes the module restart the app.
func recycleSpec() *elemSpec {
	return collection("file", &elemSpec{attrs: map[string]attrSpec{"path": required}}, false)
}

// collection is an IIS collection: add elements (called addName), clear,
// and remove when the collection allows it.
func collection(addName string, add *elemSpec, remove bool) *elemSpec {
	e := &elemSpec{children: map[string]*elemSpec{addName: add, "clear": empty()}}
	if remove {
		e.children["remove"] = named()
	}
	return e
}

// sections describes the system.webServer sections this package checks,
// after IIS's configuration schema for them; the XSD in schema/ says the
// same, and a test keeps the two in step.
func sections() map[string]*elemSpec {
	handlers := collection("add", &elemSpec{attrs: map[string]attrSpec{
		"name": required, "path": required, "verb": required,
		"type": str, "modules": str, "scriptProcessor": str,
		"resourceType":  enum("File", "Directory", "Either", "Unspecified"),
		"requireAccess": str, "preCondition": str,
		"allowPathInfo": boolean, "responseBufferLimit": uint32s,
	}}, true)
	handlers.attrs = map[string]attrSpec{"accessPolicy": str}

	moduleAttrs := func() map[string]attrSpec {
		return map[string]attrSpec{
			"processPath":             required,
			"arguments":               str,
			"startupTimeLimit":        uintRange(0, maxStartupTimeLimit),
			"rapidFailsPerMinute":     uintRange(0, maxRapidFails),
			"stdoutLogEnabled":        boolean,
			"stdoutLogFile":           str,
			"processesPerApplication": uintRange(1, 100),
			"forwardWindowsAuthToken": boolean,
		}
	}
	httpPlatform := &elemSpec{attrs: moduleAttrs(), children: map[string]*elemSpec{
		"environmentVariables": environmentSpec(),
		"recycleOnFileChange":  recycleSpec(),
	}}
	httpPlatform.attrs["startupRetryCount"] = uintRange(0, maxRapidFails)
	httpPlatform.attrs["requestTimeout"] = timeSpan(maxHTTPPlatformRequestTimeout, httpPlatformRequestTimeoutStep)

	aspNetCore := &elemSpec{attrs: moduleAttrs(), children: map[string]*elemSpec{
		"environmentVariables": environmentSpec(),
		"handlerSettings":      collection("handlerSetting", nameValue(), false),
		"recycleOnFileChange":  recycleSpec(),
	}}
	aspNetCore.attrs["hostingModel"] = enum("InProcess", "OutOfProcess")
	aspNetCore.attrs["shutdownTimeLimit"] = uintRange(0, maxShutdownTimeLimit)
	aspNetCore.attrs["requestTimeout"] = timeSpan(maxANCMRequestTimeout, 0)
	aspNetCore.attrs["disableStartUpErrorPage"] = boolean

	rule := &elemSpec{
		attrs: map[string]attrSpec{
			"name": required, "stopProcessing": boolean, "enabled": boolean,
			"patternSyntax":          enum("ECMAScript", "Wildcard", "ExactMatch"),
			"responseCacheDirective": enum("Auto", "Always", "Never", "NotIfRuleMatched"),
		},
		children: map[string]*elemSpec{
			"match": {attrs: map[string]attrSpec{"url": required, "ignoreCase": boolean, "negate": boolean}},
			"conditions": func() *elemSpec {
				c := collection("add", &elemSpec{attrs: map[string]attrSpec{
					"input": required, "pattern": str, "negate": boolean, "ignoreCase": boolean,
					"matchType": enum("Pattern", "IsFile", "IsDirectory"),
				}}, false)
				c.attrs = map[string]attrSpec{"logicalGrouping": enum("MatchAll", "MatchAny"), "trackAllCaptures": boolean}
				return c
			}(),
			"serverVariables": collection("set", &elemSpec{attrs: map[string]attrSpec{"name": required, "value": required, "replace": boolean}}, false),
			"action": {attrs: map[string]attrSpec{
				"type": enum("None", "Rewrite", "Redirect", "CustomResponse", "AbortRequest"),
				"url":  str, "appendQueryString": boolean, "logRewrittenUrl": boolean,
				"redirectType": enum("Permanent", "Found", "SeeOther", "Temporary"),
				"statusCode":   uint32s, "subStatusCode": uint32s, "statusReason": str, "statusDescription": str,
			}},
		},
	}
	rewrite := &elemSpec{children: map[string]*elemSpec{
		"rules":         collection("rule", rule, true),
		"outboundRules": open(),
		"rewriteMaps":   open(),
		"providers":     open(),
	}}

	requestFiltering := &elemSpec{
		attrs: map[string]attrSpec{"allowDoubleEscaping": boolean, "allowHighBitCharacters": boolean, "unescapeQueryString": boolean, "removeServerHeader": boolean},
		children: map[string]*elemSpec{
			"requestLimits": {
				attrs:    map[string]attrSpec{"maxAllowedContentLength": uint32s, "maxUrl": uint32s, "maxQueryString": uint32s},
				children: map[string]*elemSpec{"headerLimits": open()},
			},
			"fileExtensions": open(), "verbs": open(), "hiddenSegments": open(), "denyUrlSequences": open(),
			"alwaysAllowedUrls": open(), "alwaysAllowedQueryStrings": open(), "denyQueryStringSequences": open(),
			"filteringRules": open(),
		},
	}
	security := &elemSpec{children: map[string]*elemSpec{
		"requestFiltering": requestFiltering,
		"access":           open(), "authentication": open(), "authorization": open(),
		"ipSecurity": open(), "dynamicIpSecurity": open(), "isapiCgiRestriction": open(),
	}}

	return map[string]*elemSpec{
		"handlers":     handlers,
		"httpPlatform": httpPlatform,
		"aspNetCore":   aspNetCore,
		"rewrite":      rewrite,
		"security":     security,
	}
}
