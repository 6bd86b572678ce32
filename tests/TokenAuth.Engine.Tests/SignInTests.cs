using System.Net;
using System.Text.RegularExpressions;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A person's sign-in through the engine against the emulator's authorization server (/people), with a host that plays
/// the person over HTTP: the device code and the browser with PKCE, renewal by a rotating refresh token, the refusal
/// where no person can answer, and discovery. Runs on Mono too (the emulator then runs as a process of its own).
/// </summary>
public sealed class SignInTests : IAsyncLifetime
{
    private Harness _harness = null!;
    private ProviderDefinition _people = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync();
        _people = await _harness.DiscoverPeopleAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private TokenRequest PersonRequest(ISignInHost host, SignInFlow flow, string? loginHint = null, string? prompt = null) =>
        new(ProviderTarget.Resolve(_people), new ProviderCredential(clientId: "tokenauth-cli"), signIn: new SignInRequest(flow, host, loginHint, prompt, TimeSpan.FromSeconds(30)));

    [Fact]
    public void The_PKCE_challenge_is_S256_of_the_verifier_as_RFC_7636_shows()
    {
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.ChallengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        Assert.Equal(43, Pkce.RandomText().Length);
        Assert.NotEqual(Pkce.RandomText(), Pkce.RandomText());
    }

    [Fact]
    public void Discovery_refuses_a_document_that_names_another_issuer_or_a_plain_http_endpoint()
    {
        var issuer = new Uri("https://idp.example.com/realms/ops");
        const string Good = """{"issuer":"https://idp.example.com/realms/ops","token_endpoint":"https://idp.example.com/realms/ops/token"}""";

        var mismatch = Assert.Throws<ProviderConfigurationException>(() => OpenIdDiscovery.FromDocument("Ops", issuer, "cli",
            Good.Replace("realms/ops\",\"token", "realms/other\",\"token"), issuer));
        var plainHttp = Assert.Throws<ProviderConfigurationException>(() => OpenIdDiscovery.FromDocument("Ops", issuer, "cli",
            Good.Replace("https://idp.example.com/realms/ops/token", "http://idp.example.com/token"), issuer));
        // An https issuer may not send the token to a port on this machine that anyone here could listen on.
        var localPort = Assert.Throws<ProviderConfigurationException>(() => OpenIdDiscovery.FromDocument("Ops", issuer, "cli",
            Good.Replace("}", ",\"revocation_endpoint\":\"http://127.0.0.1:9/revoke\"}"), issuer));
        var definition = OpenIdDiscovery.FromDocument("Ops", issuer, "cli", Good, issuer);

        Assert.Contains("names the issuer", mismatch.Message);
        Assert.Contains("token_endpoint", plainHttp.Message);
        Assert.Contains("revocation_endpoint", localPort.Message);
        Assert.Equal("https://idp.example.com/realms/ops/token", definition.Token.Path);
        Assert.Equal("cli", definition.SignIn!.ClientId);
        Assert.Null(definition.SignIn.DeviceAuthorizationEndpoint);
    }

    [Fact]
    public async Task A_device_code_sign_in_gives_a_token_that_renews_with_its_rotating_refresh_token()
    {
        var person = new Person(_harness.Emulator.RootUri);
        var request = PersonRequest(person, SignInFlow.DeviceCode, "alice");

        var signedIn = (await _harness.Engine.GetTokenAsync(request, log: _harness.Log)).Token;
        var renewed = (await _harness.Engine.GetTokenAsync(request, forceNew: true, log: _harness.Log)).Token;
        var rotated = (await _harness.Engine.GetTokenAsync(request, forceNew: true, log: _harness.Log)).Token;

        Assert.Equal("alice", signedIn.Account);
        Assert.Single(person.Prompts);
        Assert.Matches("^[A-Z]{4}-[A-Z]{4}$", person.Prompts[0].UserCode);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Equal(2, _harness.Count("people", "refresh"));
        Assert.Equal(3, new[] { signedIn.RefreshToken, renewed.RefreshToken, rotated.RefreshToken }.Distinct().Count());
        Assert.Equal("alice", rotated.Account);
    }

    [Fact]
    public async Task A_browser_sign_in_takes_the_redirect_on_127_0_0_1_with_PKCE_and_closes_the_listener()
    {
        var person = new Person(_harness.Emulator.RootUri);
        var request = PersonRequest(person, SignInFlow.Browser, "alice");

        var token = (await _harness.Engine.GetTokenAsync(request, log: _harness.Log)).Token;

        var redirect = new Uri(Regex.Match(person.Opened!.Query, "redirect_uri=([^&]+)").Groups[1].Value.Replace("%3A", ":").Replace("%2F", "/"));
        Assert.Equal("alice", token.Account);
        Assert.Equal("127.0.0.1", redirect.Host);
        Assert.Contains("code_challenge_method=S256", person.Opened.Query);
        using var client = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => client.ConnectAsync("127.0.0.1", redirect.Port));
    }

    [Fact]
    public void A_persons_request_piped_to_another_command_takes_that_commands_host_and_keeps_its_cache_entry()
    {
        var ended = new Person(_harness.Emulator.RootUri);
        var current = new Person(_harness.Emulator.RootUri);
        var request = PersonRequest(ended, SignInFlow.DeviceCode, "Alice");

        var piped = request.WithSignInHost(current);

        Assert.Same(current, piped.SignIn!.Host);
        Assert.Equal(request.Key, piped.Key);
        Assert.Equal("person?hint=alice", piped.Key.Account);
        Assert.NotEqual(request.Key, PersonRequest(ended, SignInFlow.DeviceCode, "bob").Key);
    }

    [Fact]
    public async Task A_device_answer_that_sends_the_person_to_a_plain_http_address_is_refused_and_a_hostile_code_is_shown_printable()
    {
        const string Answer = "{{\"device_code\":\"dc_hostile\",\"user_code\":\"{0}\",\"verification_uri\":\"{1}\",\"expires_in\":600,\"interval\":1}}";
        _harness.Emulator.InjectFault("people", "device_authorization", new EmulatorFault
        {
            StatusCode = 200, Body = string.Format(Answer, "ABCD-EFGH", "http://phish.example/device"),
        });
        _harness.Emulator.InjectFault("people", "device_authorization", new EmulatorFault
        {
            StatusCode = 200, Body = string.Format(Answer, "\\u001b]0;owned\\u0007CODE", new Uri(_harness.Emulator.RootUri, "people/device")),
        });
        _harness.Emulator.InjectFault("people", "token", new EmulatorFault { StatusCode = 400, Body = "{\"error\":\"access_denied\"}" });
        var person = new Person(_harness.Emulator.RootUri) { Approves = false };

        var phishing = await Assert.ThrowsAsync<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(person, SignInFlow.DeviceCode, "a"), log: _harness.Log).AsTask());
        var denied = await Assert.ThrowsAsync<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(person, SignInFlow.DeviceCode, "b"), log: _harness.Log).AsTask());

        Assert.Equal("SignInNotSupported", phishing.ErrorId);
        Assert.Equal("SignInAccessDenied", denied.ErrorId);
        var shown = Assert.Single(person.Prompts);
        Assert.Contains("CODE", shown.Message);
        Assert.DoesNotContain('\u001b', shown.Message);
        Assert.DoesNotContain('\u0007', shown.Message);
    }

    [Fact]
    public async Task Two_people_signed_in_without_a_hint_have_entries_of_their_own_the_last_is_current_and_a_hint_finds_either()
    {
        var alice = new Person(_harness.Emulator.RootUri) { User = "alice" };
        var bob = new Person(_harness.Emulator.RootUri) { User = "bob" };

        var first = (await _harness.Engine.GetTokenAsync(PersonRequest(alice, SignInFlow.DeviceCode), log: _harness.Log)).Token;
        var second = (await _harness.Engine.GetTokenAsync(PersonRequest(bob, SignInFlow.DeviceCode, prompt: "select_account"), log: _harness.Log)).Token;
        // Alice's host would sign Alice in again; Bob, signed in last, is the current person, and his token is cached.
        var current = await _harness.Engine.GetTokenAsync(PersonRequest(alice, SignInFlow.DeviceCode), log: _harness.Log);
        var byEmail = await _harness.Engine.GetTokenAsync(PersonRequest(bob, SignInFlow.DeviceCode, "ALICE@example.test"), log: _harness.Log);

        Assert.Equal("alice", first.Account);
        Assert.Equal("bob", second.Account);
        Assert.StartsWith("person:sub=user_", first.Request.Key.Account);
        Assert.NotEqual(first.Request.Key, second.Request.Key);
        Assert.NotEqual(PersistedTokenName.Of(first.Request.Key).Name, PersistedTokenName.Of(second.Request.Key).Name);
        Assert.True(current.FromCache);
        Assert.Equal(second.Value, current.Token.Value);
        Assert.Equal(first.Value, byEmail.Token.Value);
        Assert.Equal(2, _harness.Count("people", "sign-in"));
        Assert.Equal(2, _harness.Engine.CachedTokens().Count(token => token.Request.SignIn != null));
    }

    [Fact]
    public async Task Where_no_person_can_answer_neither_flow_starts()
    {
        var nobody = new Person(_harness.Emulator.RootUri) { WhyNoPerson = "this is a test of an unattended session" };

        var device = await Assert.ThrowsAsync<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(nobody, SignInFlow.DeviceCode)).AsTask());
        var browser = await Assert.ThrowsAsync<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(nobody, SignInFlow.Browser)).AsTask());

        Assert.Equal("SignInNotInteractive", device.ErrorId);
        Assert.Equal("SignInNotInteractive", browser.ErrorId);
        Assert.Equal(0, _harness.Count("people", "device_authorization"));
        Assert.Null(nobody.Opened);
    }

    /// <summary>The person, over HTTP: approves a device code on the verification page, or signs in and consents in the "browser".</summary>
    internal sealed class Person(Uri root) : ISignInHost
    {
        public string? WhyNoPerson { get; init; }

        /// <summary>Who signs in (the emulator's users: alice, bob).</summary>
        public string User { get; init; } = "alice";

        /// <summary>Whether the person goes on to approve a device code they are shown.</summary>
        public bool Approves { get; init; } = true;

        public List<DeviceCodePrompt> Prompts { get; } = new();

        public Uri? Opened { get; private set; }

        public void ShowDeviceCode(DeviceCodePrompt prompt)
        {
            Prompts.Add(prompt);
            if (!Approves)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var http = new HttpClient();
                using var form = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["user_code"] = prompt.UserCode, ["username"] = User, ["password"] = User + "-password", ["decision"] = "allow",
                });
                await http.PostAsync(prompt.VerificationUri, form);
            });
        }

        public bool OpenBrowser(Uri address)
        {
            Opened = address;
            _ = Task.Run(async () =>
            {
                using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
                var page = await (await http.GetAsync(address)).Content.ReadAsStringAsync();
                var id = Regex.Match(page, "name=\"request\" value=\"([^\"]+)\"").Groups[1].Value;
                await Post(http, "people/authorize", new() { ["request"] = id, ["username"] = User, ["password"] = User + "-password" });
                var consent = await Post(http, "people/consent", new() { ["request"] = id, ["decision"] = "allow" });
                await http.GetAsync(consent.Headers.Location);
            });
            return true;
        }

        public void ShowMessage(string message)
        {
        }

        private async Task<HttpResponseMessage> Post(HttpClient http, string path, Dictionary<string, string> fields)
        {
            using var form = new FormUrlEncodedContent(fields);
            return await http.PostAsync(new Uri(root, path), form);
        }
    }
}
