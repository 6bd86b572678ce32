using System;
using System.Collections.Generic;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Everything TokenAuth knows about one provider's token flow. The built-in providers and custom JSON
    /// definitions are both instances of this type, and one engine interprets all of them. Immutable once made
    /// (records with read-only collections): a registered definition is shared by every call in the session, so a
    /// variant is a copy (<c>with</c>), never a change. The JSON schema (camelCase) is documented in docs/provider-definitions.md.
    /// </summary>
    public sealed record ProviderDefinition
    {
        /// <summary>How provider names are compared, everywhere: case-insensitively, as PowerShell compares names.</summary>
        public static readonly StringComparer NameComparer = StringComparer.OrdinalIgnoreCase;

        /// <summary>The same rule, for comparisons that take a <see cref="StringComparison"/> (prefixes, while completing).</summary>
        public const StringComparison NameComparison = StringComparison.OrdinalIgnoreCase;

        /// <summary>Short name used on the command line, e.g. "Akiba". Compared with <see cref="NameComparer"/>.</summary>
        public string Name { get; init; } = "";

        public string? Description { get; init; }

        /// <summary>Environment name to base URI, e.g. Live and Sandbox. May be empty: then a base URI must be given. Names are matched case-insensitively (<see cref="TryGetEnvironment"/>).</summary>
        public IReadOnlyDictionary<string, string> Environments { get; init; } = new Dictionary<string, string>();

        /// <summary>Environment used when the caller names none.</summary>
        public string DefaultEnvironment { get; init; } = "Live";

        public CredentialSpec Credential { get; init; } = new CredentialSpec();

        public TokenEndpointSpec Token { get; init; } = new TokenEndpointSpec();

        public TokenResponseSpec TokenResponse { get; init; } = new TokenResponseSpec();

        public AuthorizationSpec Authorization { get; init; } = new AuthorizationSpec();

        /// <summary>Optional: renew with a refresh token instead of the credentials.</summary>
        public RefreshSpec? Refresh { get; init; }

        /// <summary>Optional: tell the provider a token is no longer wanted.</summary>
        public RevokeSpec? Revoke { get; init; }

        /// <summary>Optional: an endpoint that describes the identity behind a token.</summary>
        public WhoAmISpec? WhoAmI { get; init; }

        /// <summary>Optional: how a person signs in (device code, browser with PKCE); null: the provider serves machines only.</summary>
        public SignInSpec? SignIn { get; init; }

        /// <summary>Where the provider puts the next page's link and a page's items, for callers that follow pages.</summary>
        public PagingSpec? Paging { get; init; }

        public ErrorSpec Errors { get; init; } = new ErrorSpec();

        /// <summary>
        /// Optional: a PEM bundle of certificate authorities trusted for this provider alone, beside the system's and
        /// the session's (a private CA, say). A relative path is relative to the definition file.
        /// </summary>
        public string? TrustedCertificates { get; init; }

        /// <summary>
        /// Optional: other https origins that belong to the provider, each exact (no wildcard). A redirect there keeps
        /// the token, the client certificate and the provider's trusted CAs; to any other origin it carries none of them.
        /// </summary>
        public IReadOnlyList<string> TrustedOrigins { get; init; } = Array.Empty<string>();

        /// <summary>Optional: the client certificate presented to this provider (mutual TLS); -Certificate overrides it per call.</summary>
        public ClientCertificateSpec? ClientCertificate { get; init; }

        /// <summary>
        /// Optional: the SecretManagement vault this provider's tokens always persist in, so that each new process reuses
        /// them; the session's -TokenCacheVault, when set, is used instead. Absent: the session decides.
        /// </summary>
        public string? TokenCacheVault { get; init; }

        /// <summary>The base URI of the environment of this name, whatever its case.</summary>
        public bool TryGetEnvironment(string name, out string baseUri)
        {
            foreach (var environment in Environments)
            {
                if (string.Equals(environment.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    baseUri = environment.Value;
                    return true;
                }
            }

            baseUri = "";
            return false;
        }

        public override string ToString() => Name;
    }

    public sealed record CredentialSpec
    {
        /// <summary>Fields the provider needs, e.g. ClientId and ClientSecret.</summary>
        public IReadOnlyList<CredentialField> Fields { get; init; } = Array.Empty<CredentialField>();

        /// <summary>Maximum length per field, checked before any request is sent.</summary>
        public IReadOnlyDictionary<CredentialField, int> MaxLength { get; init; } = new Dictionary<CredentialField, int>();
    }

    public enum BodyEncoding
    {
        Json,
        Form,
    }

    public enum ClientAuthentication
    {
        /// <summary>Credentials travel only in the body fields (client_secret_post and the custom JSON bodies).</summary>
        Body,

        /// <summary>HTTP Basic with ClientId and ClientSecret (RFC 6749 client_secret_basic).</summary>
        Basic,

        /// <summary>
        /// No secret: a JWT signed with the client certificate's private key (RFC 7523, OpenID Connect's
        /// private_key_jwt), made afresh for every attempt and sent as client_assertion with the ClientId.
        /// </summary>
        PrivateKeyJwt,

        /// <summary>
        /// No secret and no key: an assertion another issuer signed for this client (workload identity federation),
        /// fetched afresh for every token request from token.assertion.source, -ClientAssertion or the session's
        /// source, and sent as client_assertion with the ClientId.
        /// </summary>
        FederatedAssertion,
    }

    /// <summary>The signature of a client assertion: RSA with PKCS#1 v1.5 or PSS padding, or ECDSA on P-256, each over SHA-256.</summary>
    public enum AssertionAlgorithm
    {
        RS256,
        PS256,
        ES256,
    }

    /// <summary>
    /// Which thumbprint of the certificate an assertion's header names it by: SHA-256 (x5t#S256, the default), SHA-1
    /// (x5t, which older Entra ID configurations and ADFS look for), or both.
    /// </summary>
    public enum AssertionThumbprint
    {
        Sha256,
        Sha1,
        Both,
    }

    /// <summary>How a client assertion is made (<see cref="ClientAuthentication.PrivateKeyJwt"/>) or where it comes from (<see cref="ClientAuthentication.FederatedAssertion"/>).</summary>
    public sealed record AssertionSpec
    {
        /// <summary>
        /// A FederatedAssertion provider's source, as <see cref="AssertionSourceName.Syntax"/> names it; a
        /// relative File: path is from the definition's folder. Null: -ClientAssertion or the session's source.
        /// </summary>
        public string? Source { get; init; }

        public AssertionAlgorithm Algorithm { get; init; } = AssertionAlgorithm.RS256;

        /// <summary>The assertion's aud; null: the token endpoint's URL, as RFC 7523 suggests.</summary>
        public string? Audience { get; init; }

        /// <summary>Carry the certificate in the header (x5c), for servers that take a certificate by subject name.</summary>
        public bool IncludeCertificate { get; init; }

        /// <summary>Which thumbprint the header names the certificate by: x5t#S256 (the default), x5t (SHA-1) or both.</summary>
        public AssertionThumbprint Thumbprint { get; init; } = AssertionThumbprint.Sha256;
    }

    /// <summary>
    /// An HTTP call to the provider. Field and header values are templates: literal text with placeholders
    /// {ClientId} {ClientSecret} {ClientCredential} {ApiKey} {ApiSecret} {Scope} {Lifetime} {RefreshToken} {AccessToken}.
    /// A field whose whole value is an optional placeholder ({Scope}, {Lifetime}) is left out when it has no value.
    /// </summary>
    public record EndpointSpec
    {
        /// <summary>Path relative to the base URI (the base URI's own path prefix is kept).</summary>
        public string Path { get; init; } = "";

        public string Method { get; init; } = "POST";

        public BodyEncoding Encoding { get; init; } = BodyEncoding.Json;

        public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

        public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    }

    public sealed record TokenEndpointSpec : EndpointSpec
    {
        public ClientAuthentication ClientAuthentication { get; init; } = ClientAuthentication.Body;

        /// <summary>Scope sent when the caller names none (Ankorstore: "*").</summary>
        public string? DefaultScope { get; init; }

        /// <summary>How the client assertion is made or where it comes from; null: RS256 to the token endpoint, or no source of its own.</summary>
        public AssertionSpec? Assertion { get; init; }

        /// <summary>
        /// Optional: the grant sends a token from an assertion source as its subject (RFC 8693's subject_token, RFC 7523
        /// 2.1's assertion, Vault's jwt): the field that says {SubjectToken} gets it, fetched afresh for each token request.
        /// </summary>
        public GrantTokenSpec? Subject { get; init; }

        /// <summary>Optional: an actor token (RFC 8693's actor_token) for the field that says {ActorToken}, from its own source.</summary>
        public GrantTokenSpec? Actor { get; init; }

        /// <summary>
        /// The path is TokenAuth's reading of a document that names none (a built-in provider's gap): a 404 or 405 there
        /// says how to give the right one. Not a JSON field: a definition of the user's own names its path on purpose.
        /// </summary>
        internal bool PathAssumed { get; init; }

        /// <summary>
        /// The token comes from this machine's managed identity endpoint, not from a path: the built-in AzureManagedIdentity
        /// alone. Not a JSON field: anyone's definition could otherwise take the machine's identity for a base URI of its choosing.
        /// </summary>
        internal bool FromManagedIdentity { get; init; }

        /// <summary>Whether the client proves itself with a client assertion (RFC 7523) rather than a secret.</summary>
        internal bool TakesAssertion => ClientAuthentication == ClientAuthentication.PrivateKeyJwt || ClientAuthentication == ClientAuthentication.FederatedAssertion;

        /// <summary>Whether the call's assertion source feeds the grant's subject rather than the client's authentication.</summary>
        internal bool TakesSubject => Subject != null;
    }

    /// <summary>
    /// A token a grant carries in one of its fields (token exchange's subject or actor, a JWT-bearer assertion). Where
    /// it comes from is the caller's choice (-ClientAssertion / -ActorAssertion, or the session's source): a definition's
    /// <see cref="Source"/> is shown, never read on its say, as with token.assertion.source.
    /// </summary>
    public sealed record GrantTokenSpec
    {
        /// <summary>The source the definition suggests, as <see cref="AssertionSourceName.Syntax"/> names it; a relative File: path is from the definition's folder.</summary>
        public string? Source { get; init; }
    }

    public enum ExpiryFormat
    {
        /// <summary>A number of seconds from when the response was received.</summary>
        SecondsFromNow,

        /// <summary>An absolute Unix time; seconds or milliseconds, told apart by magnitude.</summary>
        UnixTime,

        /// <summary>An ISO 8601 date and time.</summary>
        DateTime,
    }

    public sealed record ExpirySource
    {
        /// <summary>Where the value sits in the response, e.g. "data.expires".</summary>
        public string Path { get; init; } = "";

        public ExpiryFormat Format { get; init; } = ExpiryFormat.SecondsFromNow;
    }

    /// <summary>Where the interesting values sit in a successful token response. Paths are dotted, with [n] for array items.</summary>
    public sealed record TokenResponseSpec
    {
        public string AccessToken { get; init; } = "access_token";

        public string? TokenType { get; init; }

        public string? RefreshToken { get; init; }

        public string? Scope { get; init; }

        /// <summary>Tried in order; the first one present in the response is used.</summary>
        public IReadOnlyList<ExpirySource> Expiry { get; init; } = Array.Empty<ExpirySource>();

        /// <summary>Lifetime assumed when the response carries no expiry at all. Never "forever".</summary>
        public int DefaultLifetimeSeconds { get; init; } = 300;
    }

    public sealed record AuthorizationSpec
    {
        /// <summary>Scheme on API calls, as in "Bearer TOKEN". A token that already starts with the scheme is sent as it is.</summary>
        public string Scheme { get; init; } = "Bearer";

        /// <summary>Use the token type from the token response as the scheme (CoreBanking); Scheme when it is empty.</summary>
        public bool SchemeFromTokenType { get; init; }

        /// <summary>
        /// Optional: the header the token travels in instead of Authorization, the token alone without a scheme
        /// (HashiCorp Vault's X-Vault-Token). Its name must read as a credential's (holding "token", "auth" or "key"),
        /// so that it is masked in logs like Authorization; off the provider's origin it stays behind as Authorization does.
        /// </summary>
        public string? Header { get; init; }
    }

    public sealed record RefreshSpec : EndpointSpec
    {
        /// <summary>Provider error codes that mean "this refresh token is no good": fall back to the credentials.</summary>
        public IReadOnlyList<string> InvalidRefreshTokenCodes { get; init; } = Array.Empty<string>();
    }

    public enum RevokeAuthentication
    {
        /// <summary>The token being revoked is sent as a bearer credential (Akiba, APIMW).</summary>
        Bearer,

        /// <summary>The client authenticates as on the token endpoint (RFC 7009).</summary>
        Client,
    }

    public sealed record RevokeSpec : EndpointSpec
    {
        public RevokeAuthentication Authentication { get; init; } = RevokeAuthentication.Bearer;

        /// <summary>
        /// Optional: the fields that revoke the token's refresh token at the same endpoint (RFC 7009's token_type_hint
        /// refresh_token), sent before the access token's, while that is still good as a bearer credential. Without them a
        /// refresh token is only forgotten, and stays good at the provider for whoever holds a copy.
        /// </summary>
        public IReadOnlyDictionary<string, string>? RefreshTokenFields { get; init; }
    }

    public sealed record WhoAmISpec
    {
        public string Path { get; init; } = "";

        /// <summary>Where the identity object sits in the response, a path of object fields such as "data" or "data.user"; empty for the whole body.</summary>
        public string? ResultPath { get; init; }
    }

    /// <summary>Defaults for following pages; a Link header with rel="next" is followed whatever these say.</summary>
    public sealed record PagingSpec
    {
        /// <summary>Where the next page's link sits in a page, a dotted path such as "links.next" or "@odata.nextLink".</summary>
        public string? NextLinkPath { get; init; }

        /// <summary>Where a page's items sit, such as "data" or "value"; empty: the page is the list.</summary>
        public string? ItemsPath { get; init; }
    }

    /// <summary>
    /// Where a client certificate comes from, exactly one of: a SecretManagement secret holding PFX bytes (a byte array,
    /// or Base64 text) with its password in another secret of the same vault; a PEM certificate file and its key file;
    /// or a certificate store, by thumbprint.
    /// </summary>
    public sealed record ClientCertificateSpec
    {
        public string? SecretName { get; init; }

        /// <summary>The vault of <see cref="SecretName"/> and <see cref="PasswordSecretName"/>; null: the default vault.</summary>
        public string? Vault { get; init; }

        /// <summary>The secret holding the PFX's password (a SecureString or string); none for a PFX without one.</summary>
        public string? PasswordSecretName { get; init; }

        /// <summary>A PEM certificate; relative paths are relative to the definition file.</summary>
        public string? CertificateFile { get; init; }

        /// <summary>The PEM private key (PKCS#8, RSA or EC) of <see cref="CertificateFile"/>; none when the certificate file holds the key too.</summary>
        public string? KeyFile { get; init; }

        /// <summary>A certificate with its private key in the current user's (or the machine's) personal store.</summary>
        public string? Thumbprint { get; init; }

        /// <summary>CurrentUser or LocalMachine, for <see cref="Thumbprint"/>.</summary>
        public string StoreLocation { get; init; } = "CurrentUser";

        /// <summary>Where it comes from, for messages.</summary>
        public override string ToString() =>
            SecretName != null ? $"the secret '{SecretName}'" + (Vault != null ? $" in the vault '{Vault}'" : "")
            : CertificateFile != null ? $"the PEM file '{CertificateFile}'"
            : $"the {StoreLocation} certificate store (thumbprint {Thumbprint})";
    }

    /// <summary>Candidate paths for the provider's error code and message, tried in order.</summary>
    public sealed record ErrorSpec
    {
        public IReadOnlyList<string> CodePaths { get; init; } = Array.Empty<string>();

        public IReadOnlyList<string> MessagePaths { get; init; } = Array.Empty<string>();
    }
}
