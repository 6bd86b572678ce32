using System.Net;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A retry re-checks its token after the wait: one that reached its renewal margin while the request waited out a
/// Retry-After is renewed before the next attempt, never sent past its time. On the fake clock: the wait is the
/// engine's own, moved past the token's expiry by the test.
/// </summary>
public sealed class RetryTokenRecheckTests
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(120);

    /// <summary>Retries may wait long enough for a token to expire meanwhile (the harness's own allow 5 s in all).</summary>
    private static Task<Harness> StartAsync() =>
        Harness.StartAsync(configureEngine: options => options with { Retry = options.Retry with { MaxTotalWait = TimeSpan.FromMinutes(5) } }, fakeTimers: true);

    /// <summary>The harness with a fresh Akiba token whose renewal time comes 30 s into a 120 s Retry-After (and its expiry 90 s in).</summary>
    private static async Task<(Harness Harness, Tokens.TokenRequest Request, Tokens.AccessToken Token)> TokenAboutToExpireAsync()
    {
        var harness = await StartAsync();
        var request = harness.Request("Akiba");
        var token = (await harness.Engine.GetTokenAsync(request)).Token;
        harness.Clock.Advance(token.RenewAfter - harness.Clock.GetUtcNow() - TimeSpan.FromSeconds(30));
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, RetryAfter = "120" });
        return (harness, request, token);
    }

    [Fact]
    public async Task A_token_that_reaches_its_renewal_margin_during_a_Retry_After_is_renewed_before_the_next_attempt()
    {
        var (harness, request, token) = await TokenAboutToExpireAsync();
        await using var _ = harness;

        var call = harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/sample"), harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(RetryAfter);
        var response = await call;

        Assert.True(harness.Clock.GetUtcNow() > token.ExpiresOn);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, response.Retries);
        // 503, then 200 with the renewed token: never the expired one, which would have met a 401 first.
        Assert.Equal(2, harness.Count("akiba", "sample"));
        Assert.Equal(2, harness.Count("akiba", "token"));
        Assert.True(harness.Log.Contains("the retry carries a renewed one"));
        var renewed = harness.Engine.CachedTokens().Single();
        Assert.NotEqual(token.Value, renewed.Value);
        Assert.Contains(renewed.AuthorizationHeaderValue, harness.Emulator.AuthorizationHeadersSeen);
    }

    [Fact]
    public async Task A_401_after_a_renewal_in_retry_is_still_renewed_at_most_once()
    {
        var (harness, request, _) = await TokenAboutToExpireAsync();
        await using var __ = harness;
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 401, Times = 2 });

        var call = harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/sample"), harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(RetryAfter);
        var failure = await Assert.ThrowsAsync<ApiErrorException>(() => call);

        Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        // The first token, the one renewed for the retry, and the one renewed once for the 401: no more.
        Assert.Equal(3, harness.Count("akiba", "token"));
        Assert.Equal(3, harness.Count("akiba", "sample"));
    }

    [Fact]
    public async Task A_token_still_fresh_after_the_wait_is_kept()
    {
        await using var harness = await StartAsync();
        var request = harness.Request("Akiba");
        var token = (await harness.Engine.GetTokenAsync(request)).Token;
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, RetryAfter = "120" });

        var call = harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/sample"), harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(RetryAfter);
        var response = await call;

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, harness.Count("akiba", "token"));
        Assert.Equal(token.Value, harness.Engine.CachedTokens().Single().Value);
    }
}
