using System.Net;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Endpoints a definition names and the real service lacks (shared/PROVIDERS.md's gaps): a refresh endpoint that is
/// not there falls back to the credentials and is not asked again; a revoke that is not there only forgets; a
/// who-am-I that is not there shows the token's claims; Akiba's guessed token path gives a named error.
/// </summary>
public sealed class AbsentEndpointTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private async Task<Tokens.AccessToken> RenewAsync(Tokens.TokenRequest request, Tokens.AccessToken previous)
    {
        _harness.Clock.Advance(previous.RenewAfter - _harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        return (await _harness.Engine.GetTokenAsync(request, log: _harness.Log)).Token;
    }

    public static TheoryData<int, string, string, string> Absences => new()
    {
        { 404, "application/json", """{"success":false,"error":{"code":"NOT_FOUND","message":"Route not found"}}""", "it answered HTTP 404" },
        { 405, "text/plain", "", "it answered HTTP 405" },
        { 501, "text/plain", "Not Implemented", "it answered HTTP 501" },
        { 200, "text/html", "<!DOCTYPE html><html><body>Welcome to APIMW</body></html>", "it answered with an HTML page instead of JSON" },
    };

    [Theory]
    [MemberData(nameof(Absences))]
    public async Task A_refresh_endpoint_that_is_not_there_falls_back_to_the_credentials_once_for_the_session(int status, string contentType, string body, string evidence)
    {
        var request = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Emulator.InjectFault("apimw", "refresh", new EmulatorFault { StatusCode = status, ContentType = contentType, Body = body, Times = 10 });

        var second = await RenewAsync(request, first);
        var third = await RenewAsync(request, second);

        Assert.NotEqual(first.Value, second.Value);
        Assert.NotEqual(second.Value, third.Value);
        Assert.Equal(1, _harness.Count("apimw", "refresh"));
        Assert.Equal(3, _harness.Count("apimw", "token"));
        Assert.Single(_harness.Log.Lines, line => line.Message.Contains($"APIMW has no refresh endpoint at {_harness.Emulator.BaseUriOf("apimw")}/v1/auth/refresh ({evidence})"));
    }

    [Theory]
    [InlineData(500, 1)]
    [InlineData(503, 4)] // retried three times within the call
    public async Task A_refresh_endpoint_failing_on_its_side_is_reported_and_asked_again_next_time(int status, int attempts)
    {
        var request = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Emulator.InjectFault("apimw", "refresh", new EmulatorFault { StatusCode = status, Times = attempts });
        _harness.Clock.Advance(first.RenewAfter - _harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        var failure = await Assert.ThrowsAsync<ProviderErrorException>(async () => await _harness.Engine.GetTokenAsync(request));
        var renewed = (await _harness.Engine.GetTokenAsync(request)).Token;

        Assert.Equal((HttpStatusCode)status, failure.StatusCode);
        Assert.Equal(ProviderOperation.Refresh, failure.Operation);
        Assert.Equal(attempts + 1, _harness.Count("apimw", "refresh"));
        Assert.Equal(1, _harness.Count("apimw", "token"));
        Assert.NotEqual(first.Value, renewed.Value);
    }

    [Fact]
    public void A_network_failure_or_a_timeout_never_counts_as_absence()
    {
        var endpoint = new Uri("http://127.0.0.1:1/apimw/v1/auth/refresh");

        Assert.Null(Tokens.AbsentEndpoints.Evidence(new ProviderUnreachableException("APIMW", endpoint, false, null, new HttpRequestException("refused"))));
        Assert.Null(Tokens.AbsentEndpoints.Evidence(new ProviderUnreachableException("APIMW", endpoint, true, TimeSpan.FromSeconds(5), null)));
        Assert.Null(Tokens.AbsentEndpoints.Evidence(new MalformedResponseException("APIMW", ProviderOperation.Refresh, endpoint, null, "the body is not valid JSON")));
    }

    [Theory]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(501)]
    public async Task A_revoke_endpoint_that_is_not_there_forgets_the_token_without_a_failure(int status)
    {
        var request = _harness.Request("APIMW");
        await _harness.Engine.GetTokenAsync(request);
        _harness.Emulator.InjectFault("apimw", "revoke", new EmulatorFault { StatusCode = status, Times = 10 });

        var result = await _harness.Engine.RevokeAsync(request, _harness.Log);
        await _harness.Engine.GetTokenAsync(request);
        var again = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.True(result.Forgotten);
        Assert.False(result.ProviderNotified);
        Assert.Null(result.ProviderFailure);
        Assert.Contains($"APIMW has no revoke endpoint at {_harness.Emulator.BaseUriOf("apimw")}/v1/auth/revoke (it answered HTTP {status}), so the provider was not told", result.Message);
        Assert.Null(again.ProviderFailure);
        Assert.Contains($"(it answered HTTP {status} earlier in this session)", again.Message);
        Assert.Equal(1, _harness.Count("apimw", "revoke"));
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
    }

    [Theory]
    [InlineData(404, "text/plain", "", "it answered HTTP 404")]
    [InlineData(200, "text/html", "<html><body>APIMW developer portal</body></html>", "it answered with an HTML page instead of JSON")]
    public async Task A_who_am_i_that_is_not_there_shows_a_JWTs_claims_marked_not_verified(int status, string contentType, string body, string evidence)
    {
        var request = _harness.Request("APIMW");
        _harness.Emulator.InjectFault("apimw", "whoami", new EmulatorFault { StatusCode = status, ContentType = contentType, Body = body, Times = 10 });

        var identity = await _harness.Engine.WhoAmIAsync(request, _harness.Log);
        var again = await _harness.Engine.WhoAmIAsync(request, _harness.Log);

        Assert.False(identity.VerifiedByProvider);
        Assert.Equal("tokenauth-emulator/apimw", identity.Claims["iss"]);
        Assert.False(again.VerifiedByProvider);
        Assert.Equal(1, _harness.Count("apimw", "whoami"));
        Assert.Contains(_harness.Log.Lines, line => line.Message.Contains($"APIMW has no who-am-I call at {_harness.Emulator.BaseUriOf("apimw")}/v1/auth/me ({evidence}); showing the token's own claims"));
    }

    [Fact]
    public async Task A_who_am_i_that_is_not_there_for_opaque_tokens_is_a_named_error()
    {
        var request = _harness.Request("Akiba");
        _harness.Emulator.InjectFault("akiba", "whoami", new EmulatorFault { StatusCode = 404, Body = "" });

        var failure = await Assert.ThrowsAsync<NotSupportedByProviderException>(() => _harness.Engine.WhoAmIAsync(request));

        Assert.Equal("NotSupportedByProvider", failure.ErrorId);
        Assert.Contains("Akiba has no who-am-I call at", failure.Message);
        Assert.Contains("(it answered HTTP 404), and its tokens are not JWTs", failure.Message);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(405)]
    public async Task Akibas_guessed_token_path_not_found_is_a_named_error_with_the_way_out(int status)
    {
        _harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { StatusCode = status, Body = "" });

        var failure = await Assert.ThrowsAsync<AssumedTokenPathException>(async () => await _harness.Engine.GetTokenAsync(_harness.Request("Akiba")));

        Assert.Equal("AssumedTokenPathNotFound", failure.ErrorId);
        Assert.Equal((HttpStatusCode)status, failure.StatusCode);
        Assert.Contains("The path /authorization/token is TokenAuth's reading of Akiba's document, which names none", failure.Message);
        Assert.Contains("(Get-TokenAuthProvider Akiba).DefinitionJson", failure.Message);
        Assert.IsType<ProviderErrorException>(failure.InnerException);
    }

    [Fact]
    public async Task A_token_path_the_definition_names_itself_keeps_the_providers_refusal()
    {
        _harness.Emulator.InjectFault("apimw", "token", new EmulatorFault { StatusCode = 404, Body = "" });

        var failure = await Assert.ThrowsAsync<ProviderErrorException>(async () => await _harness.Engine.GetTokenAsync(_harness.Request("APIMW")));

        Assert.Equal(HttpStatusCode.NotFound, failure.StatusCode);
    }
}
