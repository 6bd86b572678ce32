using System;
using System.Collections.Generic;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Everything TokenAuth knows about one provider's token flow. The built-in providers and custom JSON
    /// definitions are both instances of this type, and one engine interprets all of them.
    /// The JSON schema (camelCase) is documented in docs/provider-definitions.md.
    /// </summary>
    public sealed class ProviderDefinition
    {
        /// <summary>Short name used on the command line, e.g. "Akiba". Compared case-insensitively.</summary>
        public string Name { get; set; } = "";

        public string? Description { get; set; }

        /// <summary>Environment name to base URI, e.g. Live and Sandbox. May be empty: then a base URI must be given.</summary>
        public Dictionary<string, string> Environments { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Environment used when the caller names none.</summary>
        public string DefaultEnvironment { get; set; } = "Live";

        public CredentialSpec Credential { get; set; } = new CredentialSpec();

        public TokenEndpointSpec Token { get; set; } = new TokenEndpointSpec();

        public TokenResponseSpec TokenResponse { get; set; } = new TokenResponseSpec();

        public AuthorizationSpec Authorization { get; set; } = new AuthorizationSpec();

        /// <summary>Optional: renew with a refresh token instead of the credentials.</summary>
        public RefreshSpec? Refresh { get; set; }

        /// <summary>Optional: tell the provider a token is no longer wanted.</summary>
        public RevokeSpec? Revoke { get; set; }

        /// <summary>Optional: an endpoint that describes the identity behind a token.</summary>
        public WhoAmISpec? WhoAmI { get; set; }

        /// <summary>Where the provider puts the next page's link and a page's items, for callers that follow pages.</summary>
        public PagingSpec? Paging { get; set; }

        public ErrorSpec Errors { get; set; } = new ErrorSpec();

        public override string ToString() => Name;
    }

    public enum CredentialField
    {
        ClientId,
        ClientSecret,
        ClientCredential,
        ApiKey,
        ApiSecret,
    }

    public sealed class CredentialSpec
    {
        /// <summary>Fields the provider needs, e.g. ClientId and ClientSecret.</summary>
        public List<CredentialField> Fields { get; set; } = new List<CredentialField>();

        /// <summary>Maximum length per field, checked before any request is sent.</summary>
        public Dictionary<CredentialField, int> MaxLength { get; set; } = new Dictionary<CredentialField, int>();
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
    }

    /// <summary>
    /// An HTTP call to the provider. Field and header values are templates: literal text with placeholders
    /// {ClientId} {ClientSecret} {ClientCredential} {ApiKey} {ApiSecret} {Scope} {Lifetime} {RefreshToken} {AccessToken}.
    /// A field whose whole value is an optional placeholder ({Scope}, {Lifetime}) is left out when it has no value.
    /// </summary>
    public class EndpointSpec
    {
        /// <summary>Path relative to the base URI (the base URI's own path prefix is kept).</summary>
        public string Path { get; set; } = "";

        public string Method { get; set; } = "POST";

        public BodyEncoding Encoding { get; set; } = BodyEncoding.Json;

        public Dictionary<string, string> Fields { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

        public Dictionary<string, string> Headers { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    }

    public sealed class TokenEndpointSpec : EndpointSpec
    {
        public ClientAuthentication ClientAuthentication { get; set; } = ClientAuthentication.Body;

        /// <summary>Scope sent when the caller names none (Ankorstore: "*").</summary>
        public string? DefaultScope { get; set; }
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

    public sealed class ExpirySource
    {
        /// <summary>Where the value sits in the response, e.g. "data.expires".</summary>
        public string Path { get; set; } = "";

        public ExpiryFormat Format { get; set; } = ExpiryFormat.SecondsFromNow;
    }

    /// <summary>Where the interesting values sit in a successful token response. Paths are dotted, with [n] for array items.</summary>
    public sealed class TokenResponseSpec
    {
        public string AccessToken { get; set; } = "access_token";

        public string? TokenType { get; set; }

        public string? RefreshToken { get; set; }

        public string? Scope { get; set; }

        /// <summary>Tried in order; the first one present in the response is used.</summary>
        public List<ExpirySource> Expiry { get; set; } = new List<ExpirySource>();

        /// <summary>Lifetime assumed when the response carries no expiry at all. Never "forever".</summary>
        public int DefaultLifetimeSeconds { get; set; } = 300;
    }

    public sealed class AuthorizationSpec
    {
        /// <summary>Scheme on API calls, as in "Bearer TOKEN". A token that already starts with the scheme is sent as it is.</summary>
        public string Scheme { get; set; } = "Bearer";

        /// <summary>Use the token type from the token response as the scheme (CoreBanking); Scheme when it is empty.</summary>
        public bool SchemeFromTokenType { get; set; }
    }

    public sealed class RefreshSpec : EndpointSpec
    {
        /// <summary>Provider error codes that mean "this refresh token is no good": fall back to the credentials.</summary>
        public List<string> InvalidRefreshTokenCodes { get; set; } = new List<string>();
    }

    public enum RevokeAuthentication
    {
        /// <summary>The token being revoked is sent as a bearer credential (Akiba, APIMW).</summary>
        Bearer,

        /// <summary>The client authenticates as on the token endpoint (RFC 7009).</summary>
        Client,
    }

    public sealed class RevokeSpec : EndpointSpec
    {
        public RevokeAuthentication Authentication { get; set; } = RevokeAuthentication.Bearer;
    }

    public sealed class WhoAmISpec
    {
        public string Path { get; set; } = "";

        /// <summary>Where the identity object sits in the response, a path of object fields such as "data" or "data.user"; empty for the whole body.</summary>
        public string? ResultPath { get; set; }
    }

    /// <summary>Defaults for following pages; a Link header with rel="next" is followed whatever these say.</summary>
    public sealed class PagingSpec
    {
        /// <summary>Where the next page's link sits in a page, a dotted path such as "links.next" or "@odata.nextLink".</summary>
        public string? NextLinkPath { get; set; }

        /// <summary>Where a page's items sit, such as "data" or "value"; empty: the page is the list.</summary>
        public string? ItemsPath { get; set; }
    }

    /// <summary>Candidate paths for the provider's error code and message, tried in order.</summary>
    public sealed class ErrorSpec
    {
        public List<string> CodePaths { get; set; } = new List<string>();

        public List<string> MessagePaths { get; set; } = new List<string>();
    }
}
