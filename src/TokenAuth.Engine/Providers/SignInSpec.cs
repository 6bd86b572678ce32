namespace TokenAuth.Providers
{
    /// <summary>
    /// How a person signs in at the provider (OpenID Connect / OAuth 2.0 for people): the authorization endpoint for the
    /// browser flow with PKCE, the device authorization endpoint (RFC 8628), userinfo, and the public client's id. The token
    /// endpoint is the definition's token path. Endpoints are absolute URIs, https unless on a loopback host.
    /// </summary>
    public sealed record SignInSpec
    {
        /// <summary>The issuer the definition was discovered from (OpenID Connect Discovery); null when written by hand.</summary>
        public string? Issuer { get; init; }

        /// <summary>The client id people sign in to; null: the credential's ClientId.</summary>
        public string? ClientId { get; init; }

        public string? AuthorizationEndpoint { get; init; }

        public string? DeviceAuthorizationEndpoint { get; init; }

        /// <summary>Scope asked for when the caller names none; openid and offline_access ask for an ID token and a refresh token.</summary>
        public string DefaultScope { get; init; } = "openid profile email offline_access";
    }
}
