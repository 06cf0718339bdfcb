package d365

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// ParseCertificates loads the certificates and the private key of a client
// certificate, for [NewClientCertificateCredential], from data in either
// format:
//
//   - PEM: CERTIFICATE blocks and one unencrypted private key block
//     (PRIVATE KEY, RSA PRIVATE KEY). Encrypted PEM keys are not supported;
//     password must then be empty.
//   - PKCS#12 (.pfx, .p12), protected by password (may be empty), as
//     exported by Windows, Azure Key Vault or OpenSSL (legacy 3DES/RC2 and
//     modern AES encryption).
//
// The certificate that matches the key comes first in the result.
func ParseCertificates(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, NewInputError("d365: ParseCertificates", "data", "is empty")
	}
	var (
		certs []*x509.Certificate
		key   crypto.PrivateKey
		err   error
	)
	if bytes.Contains(data, []byte("-----BEGIN")) {
		certs, key, err = parsePEM(data)
	} else {
		var leaf *x509.Certificate
		var chain []*x509.Certificate
		key, leaf, chain, err = pkcs12.DecodeChain(data, password)
		if err != nil {
			if errors.Is(err, pkcs12.ErrIncorrectPassword) {
				return nil, nil, NewInputError("d365: ParseCertificates", "the PKCS#12 password", "is wrong")
			}
			return nil, nil, fmt.Errorf("d365: ParseCertificates: the data is neither PEM nor a readable PKCS#12 file: %w", err)
		}
		certs = append([]*x509.Certificate{leaf}, chain...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("d365: ParseCertificates: %w", err)
	}
	if len(certs) == 0 {
		return nil, nil, NewInputError("d365: ParseCertificates", "data", "holds no certificate")
	}
	if key == nil {
		return nil, nil, NewInputError("d365: ParseCertificates", "data", "holds no private key")
	}
	leaf, err := signingCertificate(certs, key)
	if err != nil {
		return nil, nil, fmt.Errorf("d365: ParseCertificates: %w", err)
	}
	out := []*x509.Certificate{leaf}
	for _, c := range certs {
		if c != leaf {
			out = append(out, c)
		}
	}
	return out, key, nil
}

func parsePEM(data []byte) ([]*x509.Certificate, crypto.PrivateKey, error) {
	var (
		certs []*x509.Certificate
		key   crypto.PrivateKey
	)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if _, ok := block.Headers["DEK-Info"]; ok {
			return nil, nil, errors.New("encrypted PEM private keys are not supported; give the key unencrypted, or use a PKCS#12 file")
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("a CERTIFICATE block could not be parsed: %w", err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				return nil, nil, errors.New("more than one private key found")
			}
			k, err := parsePrivateKey(block)
			if err != nil {
				return nil, nil, err
			}
			key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, errors.New("encrypted PEM private keys are not supported; give the key unencrypted, or use a PKCS#12 file")
		}
	}
	return certs, key, nil
}

func parsePrivateKey(block *pem.Block) (crypto.PrivateKey, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("an RSA PRIVATE KEY block could not be parsed: %w", err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("an EC PRIVATE KEY block could not be parsed: %w", err)
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if k1, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			return k1, nil
		}
		return nil, fmt.Errorf("a PRIVATE KEY block could not be parsed: %w", err)
	}
	return k, nil
}

// signingCertificate returns the certificate whose public key matches key.
// Microsoft Entra ID client assertions need an RSA key.
func signingCertificate(certs []*x509.Certificate, key crypto.PrivateKey) (*x509.Certificate, error) {
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the private key is a %T; Microsoft Entra ID client certificates need an RSA key", key)
	}
	for _, c := range certs {
		if c == nil {
			continue
		}
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && pub.Equal(&rk.PublicKey) {
			return c, nil
		}
	}
	return nil, errors.New("the private key matches none of the certificates")
}

// checkValidity refuses a certificate outside its validity period.
func checkValidity(c *x509.Certificate, now time.Time) error {
	if now.After(c.NotAfter) {
		return fmt.Errorf("the certificate %q (thumbprint %X) expired on %s (NotAfter); register a new certificate for the application",
			c.Subject.String(), sha1Thumbprint(c), c.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(c.NotBefore) {
		return fmt.Errorf("the certificate %q is not valid before %s (NotBefore)", c.Subject.String(), c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// sha1Thumbprint is the certificate's thumbprint as the Azure portal shows it.
func sha1Thumbprint(c *x509.Certificate) []byte {
	sum := sha1.Sum(c.Raw)
	return sum[:]
}
