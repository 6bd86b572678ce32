using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Federated client assertions through the engine, over real HTTP, on each framework the engine runs on: the
/// emulated pipelines' OIDC endpoints found through their variables (given here as a lookup, not the process's
/// environment, which parallel tests share), the emulator's OAuth2 server trusting their tokens, and the sources'
/// named refusals.
/// </summary>
public sealed class FederatedAssertionTests : IAsyncLifetime
{
    private const string Client = "demo-federated-client";
    private const string ServiceConnection = "6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f";
    private const string RequestToken = "emulator-actions-id-token-request-token";
    private const string AccessToken = "emulator-azure-pipelines-system-access-token";

    private Harness _harness = null!;
    private ProviderTarget _target = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync(options =>
        {
            options.FederatedCredentials[Client] = new HashSet<string> { EmulatedPipelines.GitHubActionsSubject, EmulatedPipelines.AzureDevOpsSubject(ServiceConnection) };
        });
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-federated.json"));
        _harness.Providers.Register(definition);
        _target = ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.RootUri.ToString());
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_GitHub_Actions_token_is_fetched_for_each_token_request_and_never_shown()
    {
        var request = Request(ClientAssertionSource.Parse("GitHubActions:api://AzureADTokenExchange", null, GitHubVariables()));

        var first = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);
        var cached = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);
        var renewed = await _harness.Engine.GetTokenAsync(request, forceNew: true, log: _harness.Log);

        Assert.False(first.FromCache);
        Assert.True(cached.FromCache);
        Assert.NotEqual(first.Token.Value, renewed.Token.Value);
        Assert.Equal(2, _harness.Count("github-actions", "idtoken"));
        Assert.Equal(2, _harness.Count("oauth2", "assertion-accepted"));
        Assert.True(_harness.Log.Contains("getting a client assertion from GitHubActions:api://AzureADTokenExchange."));
        var issued = _harness.Emulator.IssuedSecrets;
        Assert.DoesNotContain(_harness.Log.Messages, line => issued.Any(line.Contains) || line.Contains(RequestToken));
    }

    [Fact]
    public async Task An_Azure_Pipelines_service_connection_token_is_posted_for_and_revocation_authenticates_with_a_fresh_one()
    {
        var request = Request(ClientAssertionSource.Parse("AzureDevOps:" + ServiceConnection, null, AzureDevOpsVariables()));

        var token = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);
        var revoked = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.False(token.FromCache);
        Assert.True(revoked.ProviderNotified, revoked.Message);
        Assert.Equal(2, _harness.Count("azure-devops", "oidctoken"));
        Assert.Equal(2, _harness.Count("oauth2", "assertion-accepted"));
    }

    [Fact]
    public async Task Each_source_has_its_own_cached_token()
    {
        var gitHub = Request(ClientAssertionSource.Parse("GitHubActions:api://AzureADTokenExchange", null, GitHubVariables()));
        var azure = Request(ClientAssertionSource.Parse("AzureDevOps:" + ServiceConnection, null, AzureDevOpsVariables()));

        var fromGitHub = await _harness.Engine.GetTokenAsync(gitHub);
        var fromAzure = await _harness.Engine.GetTokenAsync(azure);

        Assert.False(fromAzure.FromCache);
        Assert.NotEqual(fromGitHub.Token.Value, fromAzure.Token.Value);
        Assert.Equal(2, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task A_pipeline_endpoint_that_refuses_is_named_without_its_request_token()
    {
        var variables = GitHubVariables();
        var request = Request(ClientAssertionSource.Parse("GitHubActions", null, name => name == "ACTIONS_ID_TOKEN_REQUEST_TOKEN" ? "wrong-request-token" : variables(name)));

        var error = await Expect.Throws<ClientAssertionException>(() => _harness.Engine.GetTokenAsync(request, log: _harness.Log).AsTask());

        LeakEvidence.Saw(error);
        Assert.Equal("ClientAssertionUnavailable", error.ErrorId);
        Assert.StartsWith("ExampleOAuth2Federated: no client assertion from GitHubActions: ", error.Message);
        Assert.Contains("GitHub Actions' OIDC token endpoint answered 401: Unable to authenticate the ID token request. (does the job have `permissions: id-token: write`?)", error.Message);
        Assert.DoesNotContain("wrong-request-token", error.ToString());
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task A_subject_without_a_federated_credential_is_refused_by_the_server_with_its_words_and_never_the_assertion()
    {
        // Without a service connection, the pipeline's own token: its subject has no federated credential.
        var request = Request(ClientAssertionSource.Parse("AzureDevOps", null, AzureDevOpsVariables()));

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(request, log: _harness.Log).AsTask());

        LeakEvidence.Saw(error);
        Assert.Equal("invalid_client", error.ProviderCode);
        Assert.Contains("matches the assertion's issuer and subject (p://tokenauth/emulator/pipeline)", error.ProviderMessage);
        Assert.Contains("federated credential matching the assertion's issuer, subject and audience", error.Hint);
        Assert.DoesNotContain(_harness.Emulator.IssuedSecrets, error.ToString().Contains);
    }

    [Fact]
    public async Task A_server_that_echoes_the_assertion_in_its_refusal_has_it_masked()
    {
        var assertion = await FetchGitHubTokenAsync();
        _harness.Emulator.InjectFault("oauth2", "token", new EmulatorFault
        {
            StatusCode = 401,
            Body = $$"""{"error":"invalid_client","error_description":"Assertion {{assertion}} is not trusted"}""",
        });
        var request = Request(ClientAssertionSource.Parse("Env:TOKENAUTH_ASSERTION", null, _ => assertion));

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(request, log: _harness.Log).AsTask());

        LeakEvidence.Saw(error);
        Assert.Equal("Assertion *** is not trusted", error.ProviderMessage);
        Assert.DoesNotContain(assertion, error.ToString());
        Assert.DoesNotContain(assertion, error.ResponseBody);
    }

    [Theory]
    [InlineData("""{"value": 42}""", "GitHub Actions' OIDC token endpoint's answer has no 'value' string")]
    [InlineData("{\"value\": \"eyJ0eXAiOiJKV1QifQ.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln\\r\\nX-Injected: yes\"}", "it is not a signed JWT")]
    [InlineData("<html>Sign in</html>", "GitHub Actions' OIDC token endpoint's answer has no 'value' string")]
    public async Task A_hostile_pipeline_endpoint_answer_is_refused_by_name_before_the_provider_is_called(string body, string problem)
    {
        _harness.Emulator.InjectFault("github-actions", "idtoken", new EmulatorFault { StatusCode = 200, Body = body });
        var request = Request(ClientAssertionSource.Parse("GitHubActions", null, GitHubVariables()));

        var error = await Expect.Throws<ClientAssertionException>(() => _harness.Engine.GetTokenAsync(request).AsTask());

        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain("X-Injected", error.Message);
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task An_assertion_over_64_KiB_is_refused_before_anything_is_sent()
    {
        var huge = "eyJhbGciOiJSUzI1NiJ9." + new string('A', 70_000) + ".c2ln";
        var request = Request(ClientAssertionSource.OnCallerThread("the -ClientAssertion script block", "script 3", () => huge), new TestHost(runsWork: true));

        var error = await Expect.Throws<ClientAssertionException>(() => _harness.Engine.GetTokenAsync(request).AsTask());

        Assert.EndsWith("it is over 64 KiB, too long for an assertion", error.Message);
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task A_file_is_read_again_for_each_token_request()
    {
        var file = Path.Combine(Path.GetTempPath(), "tokenauth-federated-" + Guid.NewGuid().ToString("N"));
        try
        {
            var request = Request(ClientAssertionSource.Parse("File:" + Path.GetFileName(file), Path.GetDirectoryName(file), _ => null));
            File.WriteAllText(file, await FetchGitHubTokenAsync());
            await _harness.Engine.GetTokenAsync(request);
            File.WriteAllText(file, await FetchGitHubTokenAsync());
            await _harness.Engine.GetTokenAsync(request, forceNew: true);

            Assert.Equal(2, _harness.Count("oauth2", "assertion-accepted"));
            Assert.Equal(0, _harness.Count("oauth2", "assertion-refused"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Without_a_path_the_file_is_the_one_AZURE_FEDERATED_TOKEN_FILE_names()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, await FetchGitHubTokenAsync() + "\n");
            var request = Request(ClientAssertionSource.Parse("File", null, name => name == "AZURE_FEDERATED_TOKEN_FILE" ? file : null));

            var token = await _harness.Engine.GetTokenAsync(request);

            Assert.False(token.FromCache);
            Assert.Equal(1, _harness.Count("oauth2", "assertion-accepted"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("one.two", "it is not a signed JWT (three base64url parts joined by dots)")]
    [InlineData("a b.c.d", "it is not a signed JWT (three base64url parts joined by dots)")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln", "it expired at 2023-11-14 22:13:20Z (this machine's clock reads 2026-11-21 12:00:00Z); whatever issues it must renew it")]
    public async Task What_is_not_a_usable_assertion_is_named_before_anything_is_sent_and_never_quoted(string value, string problem)
    {
        var request = Request(ClientAssertionSource.Parse("Env:TOKENAUTH_ASSERTION", null, _ => value.Length == 0 ? null : value));

        var error = await Expect.Throws<ClientAssertionException>(() => _harness.Engine.GetTokenAsync(request).AsTask());

        Assert.Equal("ExampleOAuth2Federated: no client assertion from Env:TOKENAUTH_ASSERTION: "
            + (value.Length == 0 ? "the environment variable TOKENAUTH_ASSERTION is not set" : problem), error.Message);
        Assert.True(value.Length == 0 || !error.Message.Contains(value));
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Theory]
    [InlineData("GitHubActions", "GitHubActions")]
    [InlineData("githubactions:api://AzureADTokenExchange", "GitHubActions:api://AzureADTokenExchange")]
    [InlineData("AzureDevOps", "AzureDevOps")]
    [InlineData("AzureDevOps: 6F3C1B0E-2B7A-4C1E-9D7E-0A1B2C3D4E5F", "AzureDevOps:6F3C1B0E-2B7A-4C1E-9D7E-0A1B2C3D4E5F")]
    [InlineData("Env:MY_TOKEN", "Env:MY_TOKEN")]
    [InlineData("File", "File")]
    public void Sources_are_named_as_the_user_names_them(string text, string description) =>
        Assert.Equal(description, ClientAssertionSource.Parse(text).Description);

    [Fact]
    public void A_relative_file_is_taken_from_the_folder_given()
    {
        var folder = Path.GetTempPath();

        var source = ClientAssertionSource.Parse("File:tokens/azure-identity-token", folder);

        Assert.Equal("File:" + Path.GetFullPath(Path.Combine(folder, "tokens", "azure-identity-token")), source.Description);
    }

    [Theory]
    [InlineData("AzureDevOps:my-connection", "the service connection id must be its GUID")]
    [InlineData("Env:", "Env: needs the name of the environment variable")]
    [InlineData("Env:NOT A NAME", "Env: needs the name of the environment variable")]
    [InlineData("Vault:thing", "'Vault' is not a client assertion source")]
    [InlineData("s3cr3t+opaque/value==", "That is not a client assertion source")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl", "That is an assertion itself, not where to get one")]
    public void What_is_not_a_source_is_refused_by_name_and_an_assertion_is_never_quoted(string text, string expected)
    {
        var error = Expect.Throws<ArgumentException>(() => ClientAssertionSource.Parse(text));

        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("eyJ", error.Message);
        Assert.DoesNotContain("s3cr3t", error.Message);
    }

    [Fact]
    public async Task The_callers_code_runs_only_where_a_host_runs_it()
    {
        var request = Request(ClientAssertionSource.OnCallerThread("the -ClientAssertion script block", "script 1", () => "never.run.here"));

        var error = await Expect.Throws<ClientAssertionException>(() => _harness.Engine.GetTokenAsync(request, log: _harness.Log).AsTask());

        Assert.Contains("no client assertion from the -ClientAssertion script block: it runs only within the PowerShell command that names it", error.Message);
    }

    [Fact]
    public async Task The_callers_code_that_never_runs_ends_within_the_token_requests_time()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { TokenTimeout = TimeSpan.FromMilliseconds(300) });
        var request = new TokenRequest(_target, new ProviderCredential(clientId: Client),
            assertionSource: ClientAssertionSource.OnCallerThread("the -ClientAssertion script block", "script 2", () => "never.run.here"), host: new TestHost(runsWork: false));

        var error = await Expect.Throws<ClientAssertionException>(() => harness.Engine.GetTokenAsync(request).AsTask());

        Assert.Contains("no client assertion from the -ClientAssertion script block: none came within the token request's 0.3 s", error.Message);
    }

    [Fact]
    public void A_source_goes_only_to_a_provider_that_takes_assertions()
    {
        var secretProvider = ProviderTarget.Resolve(_harness.Providers.Get("Akiba"), baseUri: _harness.Emulator.BaseUriOf("akiba").ToString());

        var error = Expect.Throws<InvalidRequestException>(() =>
            new TokenRequest(secretProvider, _harness.CredentialFor("akiba"), assertionSource: ClientAssertionSource.Parse("GitHubActions")));

        Assert.Contains("Akiba authenticates with Body, not a client assertion", error.Message);
    }

    [Theory]
    [InlineData("""{ "path": "/token", "clientAuthentication": "FederatedAssertion", "encoding": "Json" }""", "$.token.encoding: must be Form with FederatedAssertion")]
    [InlineData("""{ "path": "/token", "clientAuthentication": "FederatedAssertion", "encoding": "Form", "assertion": { "source": "Nowhere" } }""",
        "$.token.assertion.source: 'Nowhere' is not a client assertion source")]
    [InlineData("""{ "path": "/token", "clientAuthentication": "FederatedAssertion", "encoding": "Form", "assertion": { "audience": "x" } }""",
        "$.token.assertion: audience, includeCertificate and thumbprint go with PrivateKeyJwt")]
    [InlineData("""{ "path": "/token", "clientAuthentication": "FederatedAssertion", "encoding": "Form", "assertion": { "thumbprint": "Sha1" } }""",
        "$.token.assertion: audience, includeCertificate and thumbprint go with PrivateKeyJwt")]
    [InlineData("""{ "path": "/token", "clientAuthentication": "PrivateKeyJwt", "encoding": "Form", "assertion": { "source": "GitHubActions" } }""",
        "$.token.assertion.source: goes with FederatedAssertion")]
    [InlineData("""{ "path": "/token", "clientAuthentication": "Body", "assertion": { "source": "GitHubActions" } }""",
        "$.token.assertion: goes with clientAuthentication PrivateKeyJwt or FederatedAssertion")]
    public void A_definition_with_a_wrong_assertion_is_refused_naming_the_field(string token, string expected)
    {
        var json = $$"""
            { "name": "Federated", "environments": { "Live": "https://auth.example" }, "credential": { "fields": ["ClientId"] }, "token": {{token}},
              "tokenResponse": { "accessToken": "access_token" } }
            """;

        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(json));

        Assert.Contains(expected, error.Message);
    }

    private TokenRequest Request(ClientAssertionSource source, IClientAssertionHost? host = null) =>
        new(_target, new ProviderCredential(clientId: Client), assertionSource: source, host: host);

    private Func<string, string?> GitHubVariables()
    {
        var url = new Uri(_harness.Emulator.RootUri, "github-actions/idtoken?api-version=2.0").AbsoluteUri;
        return name => name switch
        {
            "ACTIONS_ID_TOKEN_REQUEST_URL" => url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN" => RequestToken,
            _ => null,
        };
    }

    private Func<string, string?> AzureDevOpsVariables()
    {
        var url = new Uri(_harness.Emulator.RootUri, "azure-devops/oidctoken").AbsoluteUri;
        return name => name switch
        {
            "SYSTEM_OIDCREQUESTURI" => url,
            "SYSTEM_ACCESSTOKEN" => AccessToken,
            _ => null,
        };
    }

    /// <summary>An OIDC token fetched as a pipeline's tooling would, to put where a source reads it.</summary>
    private async Task<string> FetchGitHubTokenAsync()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_harness.Emulator.RootUri, "github-actions/idtoken?audience=api://AzureADTokenExchange"));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + RequestToken);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var document = System.Text.Json.JsonDocument.Parse(body);
        return document.RootElement.GetProperty("value").GetString()!;
    }

    /// <summary>
    /// A caller's host that runs its work at once on the engine's thread, or never gets round to it (a command stopped
    /// while another waits on its token request).
    /// </summary>
    private sealed class TestHost(bool runsWork) : ITokenAuthLog, IClientAssertionHost
    {
        public bool IsEnabled(LogLevel level) => false;

        public void Write(LogLevel level, string message)
        {
        }

        public Task<string> RunOnCallerThreadAsync(Func<string> produce, CancellationToken cancellationToken) =>
            runsWork ? Task.FromResult(produce()) : new TaskCompletionSource<string>().Task;

        public void RegisterSecret(string value)
        {
        }
    }
}
