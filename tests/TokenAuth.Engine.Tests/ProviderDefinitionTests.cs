using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

public sealed class ProviderDefinitionTests
{
    private readonly ProviderRegistry _providers = new();

    [Theory]
    [InlineData("Akiba", "Live", "https://api.akibaone.com/authorization/token")]
    [InlineData("Kitegateway", "Live", "https://kitegateway.com/v1/auth/token")]
    [InlineData("Kitegateway", "Sandbox", "https://sandbox.kitegateway.com/v1/auth/token")]
    [InlineData("Ankorstore", "Live", "https://www.ankorstore.com/oauth/token")]
    [InlineData("Ankorstore", "Sandbox", "https://www.public.ankorstore-sandbox.com/oauth/token")]
    [InlineData("APIMW", "Live", "https://api.apimw.com/v1/auth/token")]
    public void Built_in_environments_resolve_to_the_documented_token_endpoints(string provider, string environment, string expected)
    {
        var definition = _providers.Get(provider);
        var target = ProviderTarget.Resolve(definition, environment);

        Assert.Equal(expected, target.Endpoint(definition.Token.Path).ToString());
    }

    [Fact]
    public void A_base_uri_path_prefix_is_kept()
    {
        var definition = _providers.Get("CoreBanking");
        var target = ProviderTarget.Resolve(definition, baseUri: "https://bank.example.com/gateway/");

        Assert.Equal("https://bank.example.com/gateway/api/auth/v1/authenticate", target.Endpoint(definition.Token.Path).ToString());
        Assert.Equal("Custom", target.Environment);
    }

    [Fact]
    public void CoreBanking_without_a_base_uri_says_what_to_give()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderTarget.Resolve(_providers.Get("CoreBanking")));

        Assert.Contains("CoreBanking has no known public address: give its base URI", error.Message);
        Assert.Equal("BaseUri", error.Location);
    }

    [Fact]
    public void An_unknown_environment_lists_the_known_ones()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderTarget.Resolve(_providers.Get("Akiba"), "Sandbox"));

        Assert.Contains("Akiba has no 'Sandbox' environment; known environments: Live", error.Message);
    }

    [Theory]
    [InlineData("http://api.example.com", "plain http")]
    [InlineData("ftp://api.example.com", "not an absolute http(s) URI")]
    [InlineData("https://api.example.com/?x=1", "must not carry a query")]
    public void Unsafe_or_malformed_base_uris_are_refused(string baseUri, string expected)
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderTarget.Resolve(_providers.Get("Akiba"), baseUri: baseUri));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/x")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://[::1]:8080")]
    public void Plain_http_is_allowed_for_loopback_hosts(string baseUri)
    {
        Assert.Equal("Custom", ProviderTarget.Resolve(_providers.Get("Akiba"), baseUri: baseUri).Environment);
    }

    [Fact]
    public void An_unknown_provider_lists_the_known_ones()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => _providers.Get("Nope"));

        Assert.Contains("Known providers: Akiba, Kitegateway, Ankorstore, CoreBanking, APIMW", error.Message);
    }

    [Fact]
    public void Built_in_definitions_round_trip_through_the_documented_JSON_schema()
    {
        // AzureManagedIdentity's token comes from the machine, which no JSON definition may say (FromManagedIdentity).
        foreach (var definition in BuiltInProviders.All.Where(definition => !definition.Token.FromManagedIdentity))
        {
            var json = ProviderDefinitionLoader.ToJson(definition);

            var copy = ProviderDefinitionLoader.Parse(json);

            Assert.Equal(json, ProviderDefinitionLoader.ToJson(copy));
        }
    }

    [Theory]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "fieldz": {} } }""", "$.token.fieldz (line 1)", "is not a field of a provider definition")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "encoding": "Xml" } }""", "$.token.encoding", "use one of: Json, Form")]
    [InlineData("{\n \"name\": \"X\",\n \"credential\": { \"fields\": [\"Password\"] }\n}", "line 3", "use one of: ClientId, ClientSecret")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "fields": { "secret": "{ClientSecret}" } } }""", "$.token.fields.secret", "uses {ClientSecret}, which credential.fields does not list")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "fields": { "a": "{Bogus}" } } }""", "$.token.fields.a", "'{Bogus}', which is not a placeholder here")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "" } }""", "$.token.path", "is required")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "tokenResponse": { "accessToken": "data..token" } }""", "$.tokenResponse.accessToken", "must be a field path")]
    [InlineData("""{ "name": "X", "environments": { "Live": "http://example.com" }, "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" } }""", "$.environments.Live", "must be an absolute https URI")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ApiKey"] }, "token": { "path": "/t", "clientAuthentication": "Basic" } }""", "$.token.clientAuthentication", "Basic needs ClientId and ClientSecret")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "refresh": { "path": "/r", "fields": { "r": "{RefreshToken}" } } }""", "$.tokenResponse.refreshToken", "is needed when a refresh endpoint is described")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "fields": { "t": "{AccessToken}" } } }""", "$.token.fields.t", "not a placeholder here")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "tokenResponse": { "refreshToken": "refresh_token" }, "revoke": { "path": "/v", "refreshTokenFields": { "token": "{AccessToken}" } } }""", "$.revoke.refreshTokenFields.token", "'{AccessToken}', which is not a placeholder here")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "tokenResponse": { "refreshToken": "refresh_token" }, "revoke": { "path": "/v", "refreshTokenFields": { "hint": "refresh_token" } } }""", "$.revoke.refreshTokenFields", "must send the refresh token")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "revoke": { "path": "/v", "refreshTokenFields": { "token": "{RefreshToken}" } } }""", "$.tokenResponse.refreshToken", "is needed when revoke.refreshTokenFields is described")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "tokenResponse": { "refreshToken": "refresh_token" }, "revoke": { "path": "/v", "refreshTokenFields": { "token": "{RefreshToken}", "secret": "{ClientSecret}" } } }""", "$.revoke.refreshTokenFields.secret", "uses {ClientSecret}, which credential.fields does not list")]
    [InlineData("{ \"name\": ", "$.name (line 1)", "is not valid here")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "whoAmI": { "path": "/me", "resultPath": "data..user" } }""", "$.whoAmI.resultPath", "must be a field path")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" }, "authorization": { "scheme": "Bea:rer" } }""", "$.authorization.scheme", "an HTTP token")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "headers": { "X Id": "{ClientId}" } } }""", "$.token.headers.X Id", "must be an HTTP header name")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "headers": { "X-Id": "a\r\nX-Injected: yes" } } }""", "$.token.headers.X-Id", "a value of one line")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "clientId": "cli" } }""", "$.signIn", "needs authorizationEndpoint")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "http://idp.example/authorize" } }""", "$.signIn.authorizationEndpoint", "must be an absolute https address")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "deviceAuthorizationEndpoint": "http://idp.example/device" } }""", "$.signIn.deviceAuthorizationEndpoint", "must be an absolute https address")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "/authorize" } }""", "$.signIn.authorizationEndpoint", "must be an absolute https address")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://user:pw@idp.example/authorize" } }""", "$.signIn.authorizationEndpoint", "without user information")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://{Tenant}.idp.example/authorize" } }""", "$.signIn.authorizationEndpoint", "a placeholder")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://idp.example/authorize", "issuer": "ftp://idp.example" } }""", "$.signIn.issuer", "must be an absolute https address")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://idp.example/authorize", "clientId": " " } }""", "$.signIn.clientId", "text of one line")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://idp.example/authorize", "defaultScope": "" } }""", "$.signIn.defaultScope", "must be a scope of one line")]
    [InlineData("""{ "name": "X", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "https://idp.example/authorize", "authorizeEndpoint": "https://idp.example/a" } }""", "$.signIn.authorizeEndpoint", "is not a field of a provider definition")]
    public void A_bad_definition_names_the_field_and_where_it_is(string json, string location, string problem)
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(json, "custom.json"));

        Assert.Contains("custom.json: ", error.Message);
        Assert.Contains(location, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_sign_in_section_with_loopback_http_endpoints_and_a_public_client_loads()
    {
        var definition = ProviderDefinitionLoader.Parse("""
            { "name": "X", "credential": { "fields": ["ApiKey"] }, "token": { "path": "http://127.0.0.1:5000/token" },
              "signIn": { "clientId": "cli", "authorizationEndpoint": "http://127.0.0.1:5000/authorize", "deviceAuthorizationEndpoint": "https://idp.example/device" } }
            """);

        Assert.Equal("cli", definition.SignIn!.ClientId);
    }

    [Fact]
    public void A_sign_in_section_without_a_client_id_anywhere_is_refused_when_loaded()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(
            """{ "name": "X", "credential": { "fields": ["ApiKey"] }, "token": { "path": "/t" }, "signIn": { "deviceAuthorizationEndpoint": "https://idp.example/device" } }""",
            "custom.json"));

        Assert.Contains("$.signIn.clientId", error.Message);
        Assert.Equal("InvalidProviderConfiguration", error.ErrorId);
    }

    [Fact]
    public void A_custom_provider_may_not_take_a_built_in_name()
    {
        var definition = ProviderDefinitionLoader.Parse("""{ "name": "akiba", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t" } }""");

        var error = Expect.Throws<ProviderConfigurationException>(() => _providers.Register(definition));
        Assert.Contains("built-in provider", error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.LoadFile("/nonexistent/provider.json"));

        Assert.Contains("/nonexistent/provider.json", error.Message);
    }
}

/// <summary>Custom JSON providers against the emulator's plain OAuth2 server.</summary>
public sealed class CustomProviderTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private TokenRequest Register(string file, string? scope = null)
    {
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", file));
        _harness.Providers.Register(definition);
        // The examples' paths start at the server root (/oauth2/token), like the emulator's.
        return new TokenRequest(ProviderTarget.Resolve(_harness.Providers.Get(definition.Name), baseUri: _harness.Emulator.RootUri.ToString()),
            _harness.CredentialFor("oauth2"), scope);
    }

    [Fact]
    public void Every_example_definition_loads()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples"), "*.json");

        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.NotNull(ProviderDefinitionLoader.LoadFile(file)));
    }

    [Theory]
    [InlineData("https://login.example.com/tenant/oauth2/v2.0/token", null)]
    [InlineData("http://127.0.0.1:8080/oauth2/token", null)]
    [InlineData("http://login.example.com/oauth2/token", "is an address, and must be an https one")]
    [InlineData("https://user:password@login.example.com/oauth2/token", "is an address, and must be an https one (http only to this machine's loopback), without user information")]
    [InlineData("ftp://login.example.com/token", "is required: a path relative to the base URI")]
    public void A_token_service_on_a_host_of_its_own_must_be_an_https_address(string path, string? problem)
    {
        var json = $$"""
            { "name": "OwnTokenHost", "environments": { "Live": "https://api.example" }, "credential": { "fields": ["ClientId", "ClientSecret"] },
              "token": { "path": "{{path}}", "encoding": "Form", "clientAuthentication": "Basic" }, "tokenResponse": { "accessToken": "access_token" } }
            """;

        if (problem == null)
        {
            var target = ProviderTarget.Resolve(ProviderDefinitionLoader.Parse(json));
            Assert.Equal(new Uri(path), target.ServiceEndpoint(target.Definition.Token.Path));
            Assert.Equal(new Uri("https://api.example/v1/things"), target.Endpoint("v1/things"));
            return;
        }

        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(json));
        Assert.Contains("$.token.path: " + problem, error.Message);
        Assert.DoesNotContain("password", error.Message);
    }

    [Fact]
    public async Task A_standard_OAuth2_server_with_basic_auth_scope_and_RFC7009_revocation_needs_no_code()
    {
        var request = Register("oauth2-client-credentials.json", scope: "orders:read");

        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        var sample = await _harness.Engine.SendAsync(request, new ApiRequest("GET", "oauth2/resources/sample"));
        var identity = await _harness.Engine.WhoAmIAsync(request);
        var revoked = await _harness.Engine.RevokeAsync(request);

        Assert.Equal("orders:read", token.Scope);
        Assert.Equal(200, sample.StatusCode);
        Assert.False(identity.VerifiedByProvider);
        Assert.Equal("orders:read", identity.Claims["scope"]);
        Assert.True(revoked.ProviderNotified);
        Assert.True(_harness.Emulator.IsRevoked(token.Value));
    }

    [Fact]
    public async Task A_definitions_revoke_refreshTokenFields_revoke_the_refresh_token_as_the_built_in_APIMW_does()
    {
        var json = ProviderDefinitionLoader.ToJson(_harness.Providers.Get("APIMW")).Replace("\"name\": \"APIMW\"", "\"name\": \"SavedApimw\"");
        Assert.Contains("\"refreshTokenFields\"", json);
        _harness.Providers.Register(ProviderDefinitionLoader.Parse(json));
        var request = new TokenRequest(ProviderTarget.Resolve(_harness.Providers.Get("SavedApimw"), baseUri: _harness.Emulator.BaseUriOf("apimw").ToString()),
            _harness.CredentialFor("APIMW"));
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;

        var revoked = await _harness.Engine.RevokeAsync(request);

        Assert.True(revoked.ProviderNotified);
        Assert.True(_harness.Emulator.IsRevoked(token.RefreshToken!));
        Assert.True(_harness.Emulator.IsRevoked(token.Value));
    }

    [Fact]
    public async Task Client_secret_post_with_a_default_scope_works_too()
    {
        var request = Register("oauth2-client-secret-post.json");

        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        var revoked = await _harness.Engine.RevokeAsync(request);

        Assert.Equal("read", token.Scope);
        Assert.False(revoked.ProviderNotified);
        Assert.Equal(1, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task Who_am_I_finds_the_identity_at_a_nested_result_path()
    {
        var apimw = _harness.Providers.Get("APIMW");
        var definition = apimw with { Name = "ApimwUser", WhoAmI = apimw.WhoAmI! with { ResultPath = "data.user" } };
        _harness.Providers.Register(definition);
        var request = new TokenRequest(ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.BaseUriOf("apimw").ToString()), _harness.CredentialFor("apimw"));

        var identity = await _harness.Engine.WhoAmIAsync(request);

        Assert.Equal("usr_demo", identity.Claims["id"]);
    }

    [Fact]
    public async Task Wrong_client_credentials_give_the_OAuth2_error()
    {
        var request = Register("oauth2-client-credentials.json");
        LeakEvidence.Secret("not-the-secret-77");
        var bad = new TokenRequest(request.Target, new Credentials.ProviderCredential("demo-oauth2-client", "not-the-secret-77"));

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(bad).AsTask());

        Assert.Equal("invalid_client", error.ProviderCode);
        Assert.Equal("Client authentication failed", error.ProviderMessage);
    }
}
