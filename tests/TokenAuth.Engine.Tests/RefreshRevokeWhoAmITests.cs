using System.Net;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

public sealed class RefreshRevokeWhoAmITests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private TimeSpan PastRenewal(Tokens.AccessToken token) => token.RenewAfter - _harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Apimw_renews_with_the_refresh_token_and_keeps_the_rotated_one()
    {
        var request = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;

        _harness.Clock.Advance(PastRenewal(first));
        var second = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Clock.Advance(PastRenewal(second));
        var third = (await _harness.Engine.GetTokenAsync(request)).Token;

        // The second refresh succeeds only with the rotated refresh token: the first one is single-use.
        Assert.Equal(1, _harness.Count("apimw", "token"));
        Assert.Equal(2, _harness.Count("apimw", "refresh"));
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.NotEqual(second.RefreshToken, third.RefreshToken);
        Assert.Equal(3, new[] { first.Value, second.Value, third.Value }.Distinct().Count());
    }

    [Fact]
    public async Task Apimw_falls_back_to_the_credentials_when_the_refresh_token_is_refused()
    {
        var request = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Emulator.InjectFault("apimw", "refresh", new EmulatorFault
        {
            StatusCode = 401,
            Body = """{"success":false,"error":{"code":"INVALID_REFRESH_TOKEN","message":"Refresh token expired"}}""",
        });

        _harness.Clock.Advance(PastRenewal(first));
        var renewed = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);

        Assert.Equal(1, _harness.Count("apimw", "refresh"));
        Assert.Equal(2, _harness.Count("apimw", "token"));
        Assert.NotEqual(first.Value, renewed.Token.Value);
        Assert.True(_harness.Log.Contains("refused the refresh token (INVALID_REFRESH_TOKEN)"));
    }

    [Theory]
    [InlineData("Akiba")]
    [InlineData("APIMW")]
    public async Task Revoking_tells_the_provider_and_forgets_the_token(string provider)
    {
        var request = _harness.Request(provider);
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;

        var result = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.True(result.Forgotten);
        Assert.True(result.ProviderNotified);
        Assert.Null(result.ProviderFailure);
        Assert.True(_harness.Emulator.IsRevoked(token.Value));
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
        Assert.False((await _harness.Engine.GetTokenAsync(request)).FromCache);
    }

    [Fact]
    public async Task Revoking_an_apimw_token_revokes_its_refresh_token_first_so_that_no_copy_of_it_renews()
    {
        var request = _harness.Request("APIMW");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;

        var result = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.True(result.ProviderNotified);
        Assert.EndsWith("APIMW revoked it and its refresh token.", result.Message);
        Assert.Equal(2, _harness.Count("apimw", "revoke"));
        Assert.Equal(1, _harness.Count("apimw", "refresh-revoked"));
        Assert.True(_harness.Emulator.IsRevoked(token.Value));
        Assert.True(_harness.Emulator.IsRevoked(token.RefreshToken!));
        using var http = new HttpClient();
        using var refresh = new StringContent($$"""{"refresh_token":"{{token.RefreshToken}}"}""", System.Text.Encoding.UTF8, "application/json");
        var renewal = await http.PostAsync(new Uri(_harness.Emulator.RootUri, "apimw/v1/auth/refresh"), refresh);
        Assert.Equal(HttpStatusCode.Unauthorized, renewal.StatusCode);
        Assert.Contains("INVALID_REFRESH_TOKEN", await renewal.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_refresh_token_the_provider_would_not_revoke_still_leaves_the_access_token_revoked_and_is_reported()
    {
        var request = _harness.Request("APIMW");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        // The first revoke call, the refresh token's, is refused; the access token's goes through.
        _harness.Emulator.InjectFault("apimw", "revoke", new EmulatorFault
        {
            StatusCode = 400,
            Body = """{"success":false,"error":{"code":"UNSUPPORTED_TOKEN","message":"Only access tokens are revoked here"}}""",
        });

        var result = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.True(result.Forgotten);
        Assert.False(result.ProviderNotified);
        var failure = Assert.IsType<ProviderErrorException>(result.ProviderFailure);
        LeakEvidence.Saw(failure);
        Assert.Equal(ProviderOperation.Revoke, failure.Operation);
        Assert.EndsWith("That was its refresh token's revocation; the access token's went through.", failure.Message);
        Assert.Contains("APIMW revoked it, but could not be told to revoke its refresh token", result.Message);
        Assert.Contains("Only access tokens are revoked here", result.Message);
        Assert.True(_harness.Emulator.IsRevoked(token.Value));
        Assert.False(_harness.Emulator.IsRevoked(token.RefreshToken!));
        Assert.Equal(2, _harness.Count("apimw", "revoke"));
    }

    [Theory]
    [InlineData("Kitegateway")]
    [InlineData("Ankorstore")]
    [InlineData("CoreBanking")]
    public async Task Without_a_revoke_endpoint_the_token_is_forgotten_and_the_user_told_the_provider_was_not(string provider)
    {
        var request = _harness.Request(provider);
        await _harness.Engine.GetTokenAsync(request);

        var result = await _harness.Engine.RevokeAsync(request);

        Assert.True(result.Forgotten);
        Assert.False(result.ProviderNotified);
        Assert.Contains("has no revoke endpoint, so the provider was not told", result.Message);
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
    }

    [Fact]
    public async Task A_failed_revocation_still_forgets_the_token_and_reports_the_failure()
    {
        var request = _harness.Request("Akiba");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Emulator.InjectFault("akiba", "revoke", new EmulatorFault { StatusCode = 500 });

        var result = await _harness.Engine.RevokeAsync(request, _harness.Log);

        Assert.True(result.Forgotten);
        Assert.False(result.ProviderNotified);
        var failure = Assert.IsType<ProviderErrorException>(result.ProviderFailure);
        LeakEvidence.Saw(failure);
        Assert.Equal(HttpStatusCode.InternalServerError, failure.StatusCode);
        Assert.Equal(ProviderOperation.Revoke, failure.Operation);
        Assert.False(_harness.Emulator.IsRevoked(token.Value));
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
        Assert.Contains(_harness.Log.Lines, line => line.Level == LogLevel.Verbose && line.Message.Contains("could not be told"));
    }

    [Fact]
    public async Task Revoking_with_nothing_cached_says_so()
    {
        var result = await _harness.Engine.RevokeAsync(_harness.Request("Akiba"));

        Assert.False(result.Forgotten);
        Assert.False(result.ProviderNotified);
        Assert.Contains("nothing to revoke", result.Message);
        Assert.Equal(0, _harness.Count("akiba", "revoke"));
    }

    [Fact]
    public async Task Revoking_a_token_the_cache_has_since_replaced_keeps_the_newer_one()
    {
        var request = _harness.Request("Akiba");
        var old = (await _harness.Engine.GetTokenAsync(request)).Token;
        var current = (await _harness.Engine.GetTokenAsync(request, forceNew: true)).Token;

        var result = await _harness.Engine.RevokeAsync(old);

        Assert.False(result.Forgotten);
        Assert.True(result.ProviderNotified);
        Assert.True(_harness.Emulator.IsRevoked(old.Value));
        Assert.Same(current, (await _harness.Engine.GetTokenAsync(request)).Token);
    }

    [Theory]
    [InlineData("Akiba", "client_id", "demo-akiba-client")]
    [InlineData("Ankorstore", "email", "api@ankorstore.example")]
    [InlineData("APIMW", "tenant", null)]
    public async Task Who_am_I_asks_the_provider_where_it_can(string provider, string claim, string? expected)
    {
        var identity = await _harness.Engine.WhoAmIAsync(_harness.Request(provider));

        Assert.True(identity.VerifiedByProvider);
        Assert.Equal(provider, identity.Provider);
        Assert.True(identity.Claims.ContainsKey(claim));
        if (expected != null)
        {
            Assert.Equal(expected, identity.Claims[claim]);
        }

        Assert.Equal(1, _harness.Count(provider, "whoami"));
    }

    [Fact]
    public async Task Who_am_I_reads_a_JWTs_claims_locally_and_says_they_are_unverified()
    {
        var identity = await _harness.Engine.WhoAmIAsync(_harness.Request("Kitegateway"), _harness.Log);

        Assert.False(identity.VerifiedByProvider);
        Assert.Contains("not verified", identity.Source);
        Assert.Equal("tokenauth-emulator/kitegateway", identity.Claims["iss"]);
        Assert.True(_harness.Log.Contains("did not verify"));
    }

    [Fact]
    public async Task Who_am_I_is_clearly_unsupported_for_opaque_tokens_without_an_endpoint()
    {
        var error = await Expect.Throws<NotSupportedByProviderException>(() => _harness.Engine.WhoAmIAsync(_harness.Request("CoreBanking")));

        Assert.Contains("not supported by CoreBanking", error.Message);
        Assert.Equal("NotSupportedByProvider", error.ErrorId);
    }

    [Fact]
    public async Task Who_am_I_renews_a_token_the_provider_revoked()
    {
        var request = _harness.Request("APIMW");
        await _harness.Engine.GetTokenAsync(request);
        _harness.Emulator.RevokeAllTokens("apimw");

        var identity = await _harness.Engine.WhoAmIAsync(request, _harness.Log);

        Assert.True(identity.VerifiedByProvider);
        Assert.Equal(2, _harness.Count("apimw", "whoami"));
        Assert.True(_harness.Log.Contains("HTTP 401"));
    }
}
