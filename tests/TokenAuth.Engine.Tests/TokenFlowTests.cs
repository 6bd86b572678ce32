using System.Net;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Logging;
using Xunit;

namespace TokenAuth.Tests;

public sealed class TokenFlowTests : IAsyncLifetime
{
    public static TheoryData<string> BuiltIn => new() { "Akiba", "Kitegateway", "Ankorstore", "CoreBanking", "APIMW" };

    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public async Task Obtains_a_token_that_the_provider_accepts(string provider)
    {
        var request = _harness.Request(provider);

        var result = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);
        var sample = await _harness.Engine.SendAsync(request, new Requests.ApiRequest("GET", "resources/sample"), _harness.Log);

        Assert.False(result.FromCache);
        Assert.Equal(1, _harness.Count(provider, "token"));
        Assert.Equal(provider, result.Token.Provider);
        Assert.Equal(200, sample.StatusCode);
        Assert.True(result.Token.ExpiresOn > _harness.Clock.GetUtcNow());
        Assert.DoesNotContain(result.Token.Value, result.Token.ToString());
    }

    [Theory]
    [InlineData("Akiba", 3600)]
    [InlineData("Kitegateway", 900)]
    [InlineData("Ankorstore", 3600)]
    [InlineData("CoreBanking", 3600)]
    [InlineData("APIMW", 3600)]
    public async Task Expiry_is_an_absolute_UTC_instant_whatever_the_providers_format(string provider, int lifetimeSeconds)
    {
        var now = _harness.Clock.GetUtcNow();

        var token = (await _harness.Engine.GetTokenAsync(_harness.Request(provider))).Token;

        Assert.Equal(now.AddSeconds(lifetimeSeconds), token.ExpiresOn);
        Assert.Equal(TimeSpan.Zero, token.ExpiresOn.Offset);
        Assert.False(token.ExpiryAssumed);
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public async Task Wrong_credentials_raise_the_providers_own_error_with_a_hint(string provider)
    {
        var good = _harness.CredentialFor(provider);
        const string wrong = "wrong-secret-value-zz91";
        LeakEvidence.Secret(wrong);
        var bad = new ProviderCredential(good.ClientId, good.ClientSecret == null ? null : wrong, good.ClientCredential, good.ApiKey, good.ApiSecret == null ? null : wrong);

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(_harness.Request(provider, bad)).AsTask());

        Assert.Equal(provider, error.Provider);
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal(ProviderOperation.Token, error.Operation);
        var (code, message) = provider switch
        {
            "Akiba" => ("invalid_client", "Client authentication failed."),
            "Kitegateway" => ("401", "Invalid API key or secret key"),
            "Ankorstore" => ("invalid_client", "Client authentication failed"),
            "CoreBanking" => ("Unauthorized", "Bad credentials"),
            _ => ("INVALID_CREDENTIALS", "Invalid API Key or Secret"),
        };
        Assert.Equal(code, error.ProviderCode);
        Assert.Equal(message, error.ProviderMessage);
        Assert.Contains("Check the credential", error.Hint);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public async Task A_cached_token_is_reused_without_a_request(string provider)
    {
        var request = _harness.Request(provider);
        var first = await _harness.Engine.GetTokenAsync(request);

        var second = await _harness.Engine.GetTokenAsync(request, log: _harness.Log);

        Assert.True(second.FromCache);
        Assert.Same(first.Token, second.Token);
        Assert.Equal(1, _harness.Count(provider, "token"));
        Assert.True(_harness.Log.Contains("cached token used"));
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public async Task A_token_is_renewed_once_inside_the_renewal_margin(string provider)
    {
        var request = _harness.Request(provider);
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        var lifetime = first.ExpiresOn - first.IssuedOn;
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(60).Ticks, lifetime.Ticks / 10));

        _harness.Clock.Advance(lifetime - margin - TimeSpan.FromSeconds(1));
        var stillCached = await _harness.Engine.GetTokenAsync(request);
        _harness.Clock.Advance(TimeSpan.FromSeconds(2));
        var renewed = await _harness.Engine.GetTokenAsync(request);

        Assert.True(stillCached.FromCache);
        Assert.False(renewed.FromCache);
        Assert.NotEqual(first.Value, renewed.Token.Value);
        var renewals = _harness.Count(provider, "token") + _harness.Count(provider, "refresh");
        Assert.Equal(2, renewals);
        var sample = await _harness.Engine.SendAsync(request, new Requests.ApiRequest("GET", "resources/sample"));
        Assert.Equal(200, sample.StatusCode);
    }

    [Fact]
    public async Task The_renewal_margin_can_be_configured()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { RenewalMargin = TimeSpan.FromMinutes(5) });
        var request = harness.Request("Akiba");
        var token = (await harness.Engine.GetTokenAsync(request)).Token;

        Assert.Equal(token.ExpiresOn - TimeSpan.FromMinutes(5), token.RenewAfter);
        harness.Clock.Advance(TimeSpan.FromMinutes(55) + TimeSpan.FromSeconds(1));
        Assert.False((await harness.Engine.GetTokenAsync(request)).FromCache);
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public async Task One_hundred_concurrent_cold_callers_cause_exactly_one_token_request(string provider)
    {
        // Hold the token response back so that every caller arrives while it is under way.
        _harness.Emulator.InjectFault(provider, "token", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 300 });
        var request = _harness.Request(provider);
        using var start = new ManualResetEventSlim();

        var callers = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await _harness.Engine.GetTokenAsync(request);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, _harness.Count(provider, "token"));
        Assert.Single(results.Select(result => result.Token).Distinct());
        Assert.Single(results, result => !result.FromCache);
    }

    [Fact]
    public async Task Failures_are_never_cached()
    {
        _harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { StatusCode = 500 });
        var request = _harness.Request("Akiba");

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(request).AsTask());
        var result = await _harness.Engine.GetTokenAsync(request);

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.False(result.FromCache);
        Assert.Equal(2, _harness.Count("akiba", "token"));
    }

    [Fact]
    public async Task The_cache_can_be_bypassed_and_entries_forgotten()
    {
        var akiba = _harness.Request("Akiba");
        var apimw = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(akiba)).Token;
        await _harness.Engine.GetTokenAsync(apimw);

        var forced = await _harness.Engine.GetTokenAsync(akiba, forceNew: true);
        Assert.False(forced.FromCache);
        Assert.NotEqual(first.Value, forced.Token.Value);
        Assert.Equal(2, _harness.Count("akiba", "token"));

        Assert.True(_harness.Engine.Forget(akiba));
        Assert.False(_harness.Engine.Forget(akiba));
        Assert.Equal(1, _harness.Engine.CachedTokenCount);
        Assert.False((await _harness.Engine.GetTokenAsync(akiba)).FromCache);
        Assert.Equal(2, _harness.Engine.ForgetAll());
        Assert.Equal(0, _harness.Engine.CachedTokenCount);
    }

    [Fact]
    public async Task Scope_and_requested_lifetime_are_part_of_the_cache_key()
    {
        var everything = _harness.Request("Ankorstore");
        var orders = _harness.Request("Ankorstore", scope: "orders");
        var shortKite = _harness.Request("Kitegateway", lifetime: TimeSpan.FromSeconds(120));
        var defaultKite = _harness.Request("Kitegateway");

        var a = (await _harness.Engine.GetTokenAsync(everything)).Token;
        var b = (await _harness.Engine.GetTokenAsync(orders)).Token;
        var c = (await _harness.Engine.GetTokenAsync(shortKite)).Token;
        var d = (await _harness.Engine.GetTokenAsync(defaultKite)).Token;

        Assert.Equal("*", a.Scope);
        Assert.Equal("orders", b.Scope);
        Assert.NotEqual(a.Value, b.Value);
        Assert.Equal(_harness.Clock.GetUtcNow().AddSeconds(120), c.ExpiresOn);
        Assert.Equal(_harness.Clock.GetUtcNow().AddSeconds(900), d.ExpiresOn);
        Assert.Equal(2, _harness.Count("ankorstore", "token"));
        Assert.Equal(2, _harness.Count("kitegateway", "token"));
    }

    [Fact]
    public async Task A_caller_stops_waiting_at_once_when_cancelled_and_the_shared_request_still_serves_the_others()
    {
        _harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 3000 });
        var request = _harness.Request("Akiba");
        using var cancel = new CancellationTokenSource();

        var patient = _harness.Engine.GetTokenAsync(request).AsTask();
        var impatient = _harness.Engine.GetTokenAsync(request, cancellationToken: cancel.Token).AsTask();
        await _harness.Emulator.WaitForRequestsAsync("akiba", "token");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.False(patient.IsCompleted, "the cancelled caller waited for the shared request to end");

        Assert.NotNull((await patient).Token);
        var later = await _harness.Engine.GetTokenAsync(request);
        Assert.True(later.FromCache);
        Assert.Equal(1, _harness.Count("akiba", "token"));
    }

    [Fact]
    public async Task When_the_last_waiting_caller_gives_up_the_request_is_abandoned_and_the_next_caller_starts_afresh()
    {
        // The first request would take ten minutes: a next caller that joined it would not finish within the test's guard.
        _harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 600_000 });
        var request = _harness.Request("Akiba");
        using var cancel = new CancellationTokenSource();

        var first = _harness.Engine.GetTokenAsync(request, cancellationToken: cancel.Token).AsTask();
        await _harness.Emulator.WaitForRequestsAsync("akiba", "token");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var later = await _harness.Engine.GetTokenAsync(request).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(later.FromCache);
        Assert.Equal(2, _harness.Count("akiba", "token"));
    }

    [Fact]
    public async Task Verbose_log_reports_misses_requests_and_hits()
    {
        var request = _harness.Request("APIMW");
        await _harness.Engine.GetTokenAsync(request, log: _harness.Log);
        await _harness.Engine.GetTokenAsync(request, log: _harness.Log);

        Assert.True(_harness.Log.Contains("no usable cached token"));
        Assert.True(_harness.Log.Contains("requesting a token at http://127.0.0.1"));
        Assert.True(_harness.Log.Contains("HTTP 200"));
        Assert.True(_harness.Log.Contains("cached token used"));
        Assert.All(_harness.Log.Lines, line => Assert.NotEqual(LogLevel.Warning, line.Level));
    }
}
