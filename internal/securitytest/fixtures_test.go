package securitytest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot returns the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// secretPatterns are what must never be in a recorded fixture.
var secretPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"a bearer token", regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9\-._~+/]{8,}=*`)},
	{"a JWT", regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	{"an Authorization header", regexp.MustCompile(`(?i)(^|[\s"{,-])authorization["']?\s*:`)},
	{"a client secret", regexp.MustCompile(`(?i)client_secret`)},
	{"a client assertion", regexp.MustCompile(`(?i)client_assertion`)},
	{"a refresh token", regexp.MustCompile(`(?i)refresh_token["']?\s*[:=]`)},
	{"an access token member", regexp.MustCompile(`(?i)"?access_token"?\s*[:=]\s*"?[A-Za-z0-9]`)},
	{"a password", regexp.MustCompile(`(?i)\bpassword["']?\s*[:=]\s*["']?[^\s"',}]{3,}`)},
	{"a signed URL", regexp.MustCompile(`(?i)[?&](sig|signature|code|token|se)=[^&\s"']{8,}`)},
	{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"a set-cookie", regexp.MustCompile(`(?i)set-cookie\s*:`)},
}

// hostRE finds Microsoft cloud host names; tenantRE finds tenant ids in
// sign-in URLs.
var (
	hostRE   = regexp.MustCompile(`(?i)\b([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.(dynamics\.com|microsoftonline\.com|windows\.net|azure\.com|cloudax\.dynamics\.com|sharepoint\.com)\b`)
	tenantRE = regexp.MustCompile(`(?i)(login\.microsoftonline\.[a-z.]+|login\.windows\.net|sts\.windows\.net)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
)

// placeholderHost reports whether the first label of a host is one of the
// documentation's placeholders, or a service's fixed host name.
func placeholderHost(sub string) bool {
	first := strings.ToLower(strings.SplitN(sub, ".", 2)[0])
	switch first {
	case "contoso", "fabrikam", "adventureworks", "example", "org", "yourorg", "login", "management", "graph", "sts", "api":
		return true
	}
	return false
}

// placeholderTenant reports whether a tenant id is obviously made up.
func placeholderTenant(id string) bool {
	hex := strings.ReplaceAll(id, "-", "")
	return strings.Count(hex, string(hex[0])) == len(hex) || // 00000000-0000-...
		id == "11111111-2222-3333-4444-555555555555" ||
		strings.HasPrefix(strings.ToLower(id), "00000000-0000-0000-0000-")
}

// TestFixturesHoldNoSecrets scans every recorded fixture of the repository
// (testdata/cassettes/*.yaml, and every other file under a testdata
// directory) for tokens, secrets, Authorization headers and real-looking
// organization or tenant hosts.
func TestFixturesHoldNoSecrets(t *testing.T) {
	root := repoRoot(t)
	cassettes, files := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.Contains(filepath.ToSlash(rel), "testdata/") {
			return nil
		}
		isCassette := strings.Contains(filepath.ToSlash(rel), "testdata/cassettes/") && strings.HasSuffix(rel, ".yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if isCassette {
			cassettes++
		}
		files++
		text := string(data)
		for _, p := range secretPatterns {
			if loc := p.re.FindStringIndex(text); loc != nil {
				t.Errorf("%s holds %s: %q", rel, p.name, excerpt(text, loc))
			}
		}
		for _, m := range hostRE.FindAllStringSubmatchIndex(text, -1) {
			if sub := text[m[2]:m[3]]; !placeholderHost(sub) {
				t.Errorf("%s names a real-looking host: %q", rel, text[m[0]:m[1]])
			}
		}
		for _, m := range tenantRE.FindAllStringSubmatch(text, -1) {
			if !placeholderTenant(m[2]) {
				t.Errorf("%s names a real-looking tenant: %q", rel, m[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cassettes == 0 {
		t.Fatal("no cassette found: the scan looked in the wrong place")
	}
	t.Logf("scanned %d fixture files, %d of them cassettes", files, cassettes)
}

// TestPatternsCatchSecrets checks the scanner against planted secrets, so
// that a silent regexp cannot pass the scan above.
func TestPatternsCatchSecrets(t *testing.T) {
	planted := []string{
		"      Authorization:\n      - Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2ln",
		`{"access_token":"abc.def.ghi"}`,
		"client_secret=s3cr3t&grant_type=client_credentials",
		`https://blob.example/x?sv=2020&sig=abcdefghijklmnop`,
		`"password": "hunter22"`,
		"-----BEGIN RSA PRIVATE KEY-----",
	}
	for _, s := range planted {
		hit := false
		for _, p := range secretPatterns {
			hit = hit || p.re.MatchString(s)
		}
		if !hit {
			t.Errorf("no pattern catches %q", s)
		}
	}
	if m := hostRE.FindStringSubmatch("https://orgefaf8628.api.crm4.dynamics.com/api"); m == nil || placeholderHost(m[1]) {
		t.Errorf("a real organization host is not caught: %v", m)
	}
	if m := hostRE.FindStringSubmatch("https://contoso.crm.dynamics.com/api"); m == nil || !placeholderHost(m[1]) {
		t.Errorf("the placeholder host is caught: %v", m)
	}
	if m := tenantRE.FindStringSubmatch("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2"); m == nil || placeholderTenant(m[2]) {
		t.Errorf("a real tenant is not caught: %v", m)
	}
}

func excerpt(s string, loc []int) string {
	a, b := max(0, loc[0]-20), min(len(s), loc[1]+20)
	return s[a:b]
}
