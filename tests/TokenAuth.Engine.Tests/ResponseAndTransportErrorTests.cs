using System.Net;
using System.Net.Sockets;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using Xunit;

namespace TokenAuth.Tests;

public sealed class ResponseAndTransportErrorTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private Task<Tokens.TokenResult> TokenWithBody(string provider, string body, string contentType = "application/json")
    {
        _harness.Emulator.InjectFault(provider, "token", new EmulatorFault { StatusCode = 200, Body = body, ContentType = contentType });
        return _harness.Engine.GetTokenAsync(_harness.Request(provider)).AsTask();
    }

    [Theory]
    [InlineData("Akiba", "this is not json", "text/plain", null, "the body is not valid JSON")]
    [InlineData("Akiba", "<!DOCTYPE html><html><body>Sign in</body></html>", "text/html", null, "HTML or XML page, not JSON")]
    [InlineData("Akiba", "", "application/json", null, "the body is empty")]
    [InlineData("Akiba", "[1,2]", "application/json", null, "JSON but not an object")]
    [InlineData("Akiba", """{"token_type":"bearer","expires_in":3600}""", "application/json", "access_token", "field 'access_token' is missing")]
    [InlineData("Akiba", """{"access_token":12345,"expires_in":3600}""", "application/json", "access_token", "is not a non-empty string")]
    [InlineData("Akiba", """{"access_token":"tok-abc-1","expires_in":"soon"}""", "application/json", "expires_in", "field 'expires_in' is not a number of seconds")]
    [InlineData("Akiba", """{"access_token":"tok-abc-2","expires_in":-5}""", "application/json", "expires_in", "not a usable lifetime")]
    [InlineData("Kitegateway", """{"code":200,"data":{"token":"JWT abc","expires":"tomorrow"}}""", "application/json", "data.expires", "is not a Unix time")]
    [InlineData("Kitegateway", """{"code":200,"data":{"token":"JWT abc","expires":1622197906}}""", "application/json", "data.expires", "this machine's clock is wrong")]
    [InlineData("APIMW", """{"success":true,"data":{"token_type":"Bearer"}}""", "application/json", "data.access_token", "is missing")]
    public async Task A_malformed_success_names_what_is_wrong(string provider, string body, string contentType, string? field, string problem)
    {
        var error = await Expect.Throws<MalformedResponseException>(() => TokenWithBody(provider, body, contentType));

        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message);
        Assert.Contains(_harness.Emulator.BaseUriOf(provider).ToString(), error.Message);
        Assert.Equal("MalformedProviderResponse", error.ErrorId);
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
    }

    [Fact]
    public async Task A_success_status_carrying_an_error_object_is_the_provider_refusing()
    {
        var error = await Expect.Throws<ProviderErrorException>(() =>
            TokenWithBody("APIMW", """{"success":false,"error":{"code":"INVALID_CREDENTIALS","message":"Invalid API Key or Secret"}}"""));

        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.Equal("INVALID_CREDENTIALS", error.ProviderCode);
    }

    [Fact]
    public async Task CoreBanking_epoch_expiry_is_read_in_milliseconds_or_seconds_by_magnitude()
    {
        var expires = _harness.Clock.GetUtcNow().AddMinutes(30);

        var fromMilliseconds = (await TokenWithBody("CoreBanking", $$"""{"accessToken":"a1b2c3d4","tokenType":"Bearer","expirationTime":{{expires.ToUnixTimeMilliseconds()}}}""")).Token;
        _harness.Engine.ForgetAll();
        var fromSeconds = (await TokenWithBody("CoreBanking", $$"""{"accessToken":"e5f6g7h8","tokenType":"Bearer","expirationTime":{{expires.ToUnixTimeSeconds()}}}""")).Token;

        Assert.Equal(expires, fromMilliseconds.ExpiresOn);
        Assert.Equal(expires, fromSeconds.ExpiresOn);
    }

    [Fact]
    public async Task CoreBanking_prefers_the_validity_in_seconds_and_uses_its_token_type_as_the_scheme()
    {
        var token = (await TokenWithBody("CoreBanking", """{"accessToken":"i9j0k1l2","tokenType":"MAC","expirationTime":1,"tokenValiditySec":"120"}""")).Token;

        Assert.Equal(_harness.Clock.GetUtcNow().AddSeconds(120), token.ExpiresOn);
        Assert.Equal("MAC i9j0k1l2", token.AuthorizationHeaderValue);
    }

    [Fact]
    public async Task A_response_without_expiry_gets_the_documented_default_lifetime_never_forever()
    {
        var token = (await TokenWithBody("Akiba", """{"access_token":"m3n4o5p6"}""")).Token;

        Assert.True(token.ExpiryAssumed);
        Assert.Equal(_harness.Clock.GetUtcNow().AddSeconds(300), token.ExpiresOn);
    }

    [Fact]
    public async Task Kitegateway_tokens_that_carry_their_scheme_are_not_prefixed_twice()
    {
        var withPrefix = (await TokenWithBody("Kitegateway", $$$"""{"data":{"token":"JWT q7r8s9","expires":{{{_harness.Clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds()}}}}}""")).Token;
        _harness.Engine.ForgetAll();
        var bare = (await TokenWithBody("Kitegateway", $$$"""{"data":{"token":"t0u1v2","expires":{{{_harness.Clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds()}}}}}""")).Token;

        Assert.Equal("JWT q7r8s9", withPrefix.AuthorizationHeaderValue);
        Assert.Equal("JWT t0u1v2", bare.AuthorizationHeaderValue);
    }

    [Fact]
    public async Task A_provider_that_cannot_be_reached_is_named_with_its_endpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var providers = new Providers.ProviderRegistry();
        var request = new Tokens.TokenRequest(Providers.ProviderTarget.Resolve(providers.Get("Akiba"), baseUri: $"http://127.0.0.1:{port}/akiba"), _harness.CredentialFor("Akiba"));

        var error = await Expect.Throws<ProviderUnreachableException>(() => _harness.Engine.GetTokenAsync(request).AsTask());

        Assert.False(error.TimedOut);
        Assert.Contains($"Could not reach Akiba at http://127.0.0.1:{port}/akiba/authorization/token", error.Message);
        Assert.Equal("ProviderUnreachable", error.ErrorId);
    }

    [Fact]
    public async Task A_provider_that_does_not_answer_in_time_is_named_with_its_endpoint()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { Timeout = TimeSpan.FromMilliseconds(500) });
        harness.Emulator.InjectFault("apimw", "token", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 3000 });

        var error = await Expect.Throws<ProviderUnreachableException>(() => harness.Engine.GetTokenAsync(harness.Request("APIMW")).AsTask());

        Assert.True(error.TimedOut);
        Assert.Contains("APIMW did not answer within 0.5 s at http://127.0.0.1", error.Message);
        Assert.Contains("/apimw/v1/auth/token", error.Message);
    }

    [Fact]
    public async Task Token_calls_are_retried_on_throttling_and_transient_faults()
    {
        _harness.Emulator.InjectFault("ankorstore", "token", new EmulatorFault { StatusCode = 429, RetryAfter = "0" });
        _harness.Emulator.InjectFault("ankorstore", "token", new EmulatorFault { StatusCode = 503 });

        var result = await _harness.Engine.GetTokenAsync(_harness.Request("Ankorstore"), log: _harness.Log);

        Assert.NotNull(result.Token);
        Assert.Equal(3, _harness.Count("ankorstore", "token"));
        Assert.True(_harness.Log.Contains("HTTP 429 from"));
        Assert.True(_harness.Log.Contains("HTTP 503 from"));
    }

    [Fact]
    public async Task An_error_message_from_the_provider_is_scrubbed_of_the_secret_it_echoes()
    {
        var secret = _harness.CredentialFor("APIMW").ApiSecret!;
        _harness.Emulator.InjectFault("apimw", "token", new EmulatorFault
        {
            StatusCode = 401,
            Body = $$$"""{"success":false,"error":{"code":"INVALID_CREDENTIALS","message":"Secret {{{secret}}} is not valid"}}""",
        });

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(_harness.Request("APIMW")).AsTask());

        Assert.Equal("Secret *** is not valid", error.ProviderMessage);
        Assert.DoesNotContain(secret, error.ResponseBody);
    }
}
