using System.Collections.Generic;

namespace TokenAuth.Providers
{
    /// <summary>
    /// The five providers of shared/PROVIDERS.md, as data. Gaps the providers' documents leave (Akiba's token path,
    /// its JSON body, APIMW's revoke body, undocumented error shapes) are filled here and stay overridable
    /// through a custom definition or a base URI.
    /// </summary>
    public static class BuiltInProviders
    {
        /// <summary>Error fields most JSON APIs use; tried after a provider's own.</summary>
        internal static readonly string[] CommonCodePaths = { "error.code", "error", "code", "errors[0].code", "errors[0].status" };
        internal static readonly string[] CommonMessagePaths = { "error.message", "error_description", "message", "errors[0].detail", "errors[0].title", "detail", "title" };

        public static IReadOnlyList<ProviderDefinition> All { get; } = new[]
        {
            Akiba(), Kitegateway(), Ankorstore(), CoreBanking(), Apimw(), AzureManagedIdentity(),
        };

        private static ProviderDefinition Akiba() => new ProviderDefinition
        {
            Name = "Akiba",
            Description = "Akiba One: client id, secret and credential; bearer tokens with refresh token, revoke and who-am-I.",
            Environments = Environments(("Live", "https://api.akibaone.com")),
            Credential = Credentials(CredentialField.ClientId, CredentialField.ClientSecret, CredentialField.ClientCredential),
            Token = new TokenEndpointSpec
            {
                // Gap: the document names no token path and no body encoding.
                Path = "/authorization/token",
                PathAssumed = true,
                Encoding = BodyEncoding.Json,
                Fields = Fields(("client_id", "{ClientId}"), ("client_secret", "{ClientSecret}"), ("client_credential", "{ClientCredential}")),
            },
            TokenResponse = new TokenResponseSpec
            {
                AccessToken = "access_token",
                TokenType = "token_type",
                RefreshToken = "refresh_token",
                Expiry = new[] { new ExpirySource { Path = "expires_in", Format = ExpiryFormat.SecondsFromNow } },
            },
            // Refresh is not documented: a new token comes from the credentials.
            Revoke = new RevokeSpec { Path = "/authorization/revoke", Authentication = RevokeAuthentication.Bearer },
            WhoAmI = new WhoAmISpec { Path = "/authorization/whoami" },
        };

        private static ProviderDefinition Kitegateway() => new ProviderDefinition
        {
            Name = "Kitegateway",
            Description = "Kitegateway: api key in the body, api secret in the Secret-Key header; 'JWT' authorization scheme.",
            Environments = Environments(("Live", "https://kitegateway.com"), ("Sandbox", "https://sandbox.kitegateway.com")),
            Credential = Credentials(CredentialField.ApiKey, CredentialField.ApiSecret),
            Token = new TokenEndpointSpec
            {
                Path = "/v1/auth/token",
                Encoding = BodyEncoding.Json,
                Fields = Fields(("api_key", "{ApiKey}"), ("expires_in", "{Lifetime}")),
                Headers = Fields(("Secret-Key", "{ApiSecret}")),
            },
            TokenResponse = new TokenResponseSpec
            {
                AccessToken = "data.token",
                Expiry = new[] { new ExpirySource { Path = "data.expires", Format = ExpiryFormat.UnixTime } },
            },
            Authorization = new AuthorizationSpec { Scheme = "JWT" },
            Errors = Errors(new[] { "code" }, new[] { "message" }),
        };

        private static ProviderDefinition Ankorstore() => new ProviderDefinition
        {
            Name = "Ankorstore",
            Description = "Ankorstore: OAuth2 client credentials (form body, scope '*' by default); who-am-I at /api/v1/me.",
            Environments = Environments(("Live", "https://www.ankorstore.com"), ("Sandbox", "https://www.public.ankorstore-sandbox.com")),
            Credential = Credentials(CredentialField.ClientId, CredentialField.ClientSecret),
            Token = new TokenEndpointSpec
            {
                Path = "/oauth/token",
                Encoding = BodyEncoding.Form,
                Fields = Fields(("grant_type", "client_credentials"), ("client_id", "{ClientId}"), ("client_secret", "{ClientSecret}"), ("scope", "{Scope}")),
                DefaultScope = "*",
            },
            TokenResponse = new TokenResponseSpec
            {
                AccessToken = "access_token",
                TokenType = "token_type",
                Expiry = new[] { new ExpirySource { Path = "expires_in", Format = ExpiryFormat.SecondsFromNow } },
            },
            WhoAmI = new WhoAmISpec { Path = "/api/v1/me", ResultPath = "data" },
            // JSON:API: the page's items in data, the next page in links.next.
            Paging = new PagingSpec { NextLinkPath = "links.next", ItemsPath = "data" },
            // OAuth2 shape on the token call, JSON:API elsewhere.
            Errors = Errors(new[] { "error", "errors[0].code", "errors[0].status" }, new[] { "error_description", "errors[0].detail", "errors[0].title" }),
        };

        private static ProviderDefinition CoreBanking() => new ProviderDefinition
        {
            Name = "CoreBanking",
            Description = "CoreBanking: no public host, so a base URI is always required; clientId and clientSecret of at most 100 characters.",
            Credential = new CredentialSpec
            {
                Fields = new[] { CredentialField.ClientId, CredentialField.ClientSecret },
                MaxLength = new Dictionary<CredentialField, int> { [CredentialField.ClientId] = 100, [CredentialField.ClientSecret] = 100 },
            },
            Token = new TokenEndpointSpec
            {
                Path = "/api/auth/v1/authenticate",
                Encoding = BodyEncoding.Json,
                // The document's table says clientID, its sample clientId: PROVIDERS.md settles on clientId.
                Fields = Fields(("clientId", "{ClientId}"), ("clientSecret", "{ClientSecret}")),
            },
            TokenResponse = new TokenResponseSpec
            {
                AccessToken = "accessToken",
                TokenType = "tokenType",
                Expiry = new[]
                {
                    new ExpirySource { Path = "tokenValiditySec", Format = ExpiryFormat.SecondsFromNow },
                    new ExpirySource { Path = "expirationTime", Format = ExpiryFormat.UnixTime },
                },
            },
            Authorization = new AuthorizationSpec { Scheme = "Bearer", SchemeFromTokenType = true },
        };

        private static ProviderDefinition Apimw() => new ProviderDefinition
        {
            Name = "APIMW",
            Description = "APIMW: api key and secret; single-use refresh tokens, revoke and who-am-I.",
            Environments = Environments(("Live", "https://api.apimw.com")),
            Credential = Credentials(CredentialField.ApiKey, CredentialField.ApiSecret),
            Token = new TokenEndpointSpec
            {
                Path = "/v1/auth/token",
                Encoding = BodyEncoding.Json,
                Fields = Fields(("api_key", "{ApiKey}"), ("api_secret", "{ApiSecret}")),
            },
            TokenResponse = new TokenResponseSpec
            {
                AccessToken = "data.access_token",
                TokenType = "data.token_type",
                RefreshToken = "data.refresh_token",
                Expiry = new[] { new ExpirySource { Path = "data.expires_in", Format = ExpiryFormat.SecondsFromNow } },
            },
            // Gap: the document shows only the token call; refresh, revoke and who-am-I are our reading, and a service
            // without them is done without (AbsentEndpoints).
            Refresh = new RefreshSpec
            {
                Path = "/v1/auth/refresh",
                Fields = Fields(("refresh_token", "{RefreshToken}")),
                InvalidRefreshTokenCodes = new[] { "INVALID_REFRESH_TOKEN" },
            },
            // Gap: the revoke body is not documented either; the refresh token goes the same way as the access token (RFC 7009).
            Revoke = new RevokeSpec { Path = "/v1/auth/revoke", Fields = Fields(("token", "{AccessToken}")), RefreshTokenFields = Fields(("token", "{RefreshToken}")) },
            WhoAmI = new WhoAmISpec { Path = "/v1/auth/me", ResultPath = "data" },
            Errors = Errors(new[] { "error.code" }, new[] { "error.message" }),
        };

        /// <summary>
        /// The machine's own Azure identity (App Service, Functions, Automation, Arc, a VM): no credential at all, or the
        /// user-assigned identity -ClientId names. Its token is for -Resource (or -Scope less /.default), else for the API
        /// at the base URI, which is where it may then be sent. Not expressible as JSON (<see cref="TokenEndpointSpec.FromManagedIdentity"/>).
        /// </summary>
        private static ProviderDefinition AzureManagedIdentity() => new ProviderDefinition
        {
            Name = "AzureManagedIdentity",
            Description = "The Azure managed identity of the machine the script runs on (App Service, Functions, Automation, Arc, VM): no secret anywhere.",
            Environments = Environments(("Graph", "https://graph.microsoft.com"), ("Management", "https://management.azure.com")),
            DefaultEnvironment = "Graph",
            Token = new TokenEndpointSpec { FromManagedIdentity = true },
            TokenResponse = new TokenResponseSpec { AccessToken = "access_token", TokenType = "token_type" },
            Paging = new PagingSpec { NextLinkPath = "@odata.nextLink", ItemsPath = "value" },
            Errors = Errors(new[] { "error.code", "error" }, new[] { "error.message", "error_description" }),
        };

        private static Dictionary<string, string> Environments(params (string Name, string Uri)[] environments)
        {
            var result = new Dictionary<string, string>();
            foreach (var (name, uri) in environments)
            {
                result[name] = uri;
            }

            return result;
        }

        private static Dictionary<string, string> Fields(params (string Name, string Value)[] fields)
        {
            var result = new Dictionary<string, string>();
            foreach (var (name, value) in fields)
            {
                result[name] = value;
            }

            return result;
        }

        private static CredentialSpec Credentials(params CredentialField[] fields) => new CredentialSpec { Fields = fields };

        private static ErrorSpec Errors(string[] codePaths, string[] messagePaths) =>
            new ErrorSpec { CodePaths = codePaths, MessagePaths = messagePaths };
    }
}
