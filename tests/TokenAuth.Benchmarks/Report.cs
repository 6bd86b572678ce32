using System.Diagnostics;
using TokenAuth.Credentials;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth.Benchmarks;

/// <summary>What BenchmarkDotNet does not measure: cache size, growth over many requests, the stampede's token requests.</summary>
public static class Report
{
    public static async Task RunAsync(int requests)
    {
        await using var environment = await BenchmarkEnvironment.StartAsync();
        Console.WriteLine();
        Console.WriteLine("TokenAuth report");

        // The stampede: how many token requests 1000 cold callers cause, and how long until all are served.
        var engine = new TokenAuthEngine();
        await engine.SendAsync(environment.Request, new ApiRequest("GET", "oauth2/resources/sample"));
        environment.Emulator.ResetCounters();
        var pair = Stopwatch.StartNew();
        await new TokenAuthEngine().SendAsync(environment.Request, new ApiRequest("GET", "oauth2/resources/sample"));
        pair.Stop();
        environment.Emulator.ResetCounters();
        var stampede = Stopwatch.StartNew();
        await ColdStampede.ColdStampedeRun(new TokenAuthEngine(), environment);
        stampede.Stop();
        Console.WriteLine($"  stampede: 1000 cold callers -> {environment.Emulator.RequestCount("oauth2", "token")} token request(s), all served in {stampede.Elapsed.TotalMilliseconds:0.0} ms "
            + $"(one token + one API request, cold: {pair.Elapsed.TotalMilliseconds:0.0} ms; ratio {stampede.Elapsed / pair.Elapsed:0.00})");

        // The cache's size with 10,000 distinct keys (one scope each), tokens and their requests included.
        // Measured as what forgetting them frees: the in-process emulator keeps its own record of every token it issued.
        var cache = new TokenAuthEngine();
        var credential = new ProviderCredential(environment.Credential.ClientId, environment.Credential.ClientSecret);
        for (var i = 0; i < 10_000; i += 100)
        {
            await Task.WhenAll(Enumerable.Range(i, 100).Select(n => cache.GetTokenAsync(new TokenRequest(environment.Target, credential, "scope-" + n)).AsTask()));
        }

        var held = GC.GetTotalMemory(forceFullCollection: true);
        var count = cache.ForgetAll();
        var released = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"  cache: {count} tokens hold {(held - released) / 1024.0 / 1024.0:0.00} MB ({(held - released) / count} bytes each)");

        // Growth: memory after a warm-up, then after many more requests through the pipeline.
        var apiRequest = new ApiRequest("GET", "oauth2/resources/sample");
        await Drive(engine, environment, apiRequest, 10_000);
        var settled = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        await Drive(engine, environment, apiRequest, requests);
        watch.Stop();
        var end = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"  growth: {requests:N0} requests ({requests / watch.Elapsed.TotalSeconds:N0}/s at concurrency 16) changed the managed heap by {(end - settled) / 1024.0:0.0} KB");
    }

    private static async Task Drive(TokenAuthEngine engine, BenchmarkEnvironment environment, ApiRequest apiRequest, int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await engine.SendAsync(environment.Request, apiRequest);
            }
        }));
    }
}
