using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TokenAuth.Emulator;

/// <summary>
/// The provider emulator for tests that run on .NET Framework (or Mono), where ASP.NET Core cannot be hosted: the
/// emulator runs as a process of its own (dotnet TokenAuth.Emulator.dll), and this class gives the tests the same
/// members they use on the in-process one, through the emulator's control endpoints (/_emulator). Its clock follows
/// the test's: every move of a <see cref="TokenAuth.Tests.TestClock"/> is sent to the emulator's settable clock.
/// </summary>
public sealed class ProviderEmulator : IAsyncDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly HttpClient _control;

    private ProviderEmulator(Process process, Uri rootUri, EmulatorOptions options)
    {
        _process = process;
        RootUri = rootUri;
        Options = options;
        _control = new HttpClient { BaseAddress = new Uri(rootUri, "_emulator/"), Timeout = HangGuard };
    }

    public Uri RootUri { get; }

    public EmulatorOptions Options { get; }

    public IReadOnlyCollection<string> IssuedSecrets => Evidence("issuedSecrets");

    public IReadOnlyCollection<string> AuthorizationHeadersSeen => Evidence("authorizationHeadersSeen");

    /// <param name="moreArguments">Options of the emulator's command line that EmulatorOptions cannot carry across (--https PORT=FILE.pfx).</param>
    public static async Task<ProviderEmulator> StartAsync(EmulatorOptions? options = null, params string[] moreArguments)
    {
        options ??= new EmulatorOptions();
        var federated = options.FederatedCredentials.SelectMany(client => client.Value.Select(subject => new[] { "--federated-credential", client.Key + "=" + subject }));
        var arguments = $"\"{EmulatorAssembly()}\" --port 0 --settable-clock --corebanking-token-type {options.CoreBankingTokenType} "
            + (options.AsDocumented ? "--as-documented " : "")
            + string.Join(" ", moreArguments.Concat(federated.SelectMany(pair => pair)).Select(argument => "\"" + argument + "\""));
        var process = Process.Start(new ProcessStartInfo("dotnet", arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var banner = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? "";
        var at = banner.IndexOf("http://", StringComparison.Ordinal);
        if (at < 0)
        {
            process.Kill();
            throw new InvalidOperationException($"The emulator did not start: {banner}{await process.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
        }

        // Keep reading its output, so that a full pipe never blocks it.
        _ = process.StandardOutput.ReadToEndAsync();
        var emulator = new ProviderEmulator(process, new Uri(banner.Substring(at).Split(' ')[0]), options);
        if (options.Clock is TokenAuth.Tests.TestClock clock)
        {
            emulator.SetClock(clock.GetUtcNow());
            clock.Moved += emulator.SetClock;
        }

        return emulator;
    }

    public Uri BaseUriOf(string provider) => new(RootUri, provider.ToLowerInvariant());

    public int RequestCount(string provider, string endpoint) =>
        Call(HttpMethod.Get, "counters")?[provider.ToLowerInvariant() + "/" + endpoint.ToLowerInvariant()]?.GetValue<int>() ?? 0;

    /// <summary>Completes once the endpoint has received <paramref name="count"/> requests: the emulator answers when they have arrived.</summary>
    public Task WaitForRequestsAsync(string provider, string endpoint, int count = 1) =>
        Task.Run(() => Call(HttpMethod.Post, $"wait/{provider.ToLowerInvariant()}/{endpoint.ToLowerInvariant()}?count={count}"));

    public void InjectFault(string provider, string endpoint, EmulatorFault fault) => Call(HttpMethod.Post, "faults", new JsonObject
    {
        ["provider"] = provider,
        ["endpoint"] = endpoint,
        ["statusCode"] = fault.StatusCode,
        ["retryAfter"] = fault.RetryAfter,
        ["delayMilliseconds"] = fault.DelayMilliseconds,
        ["delayOnly"] = fault.DelayOnly,
        ["body"] = fault.Body,
        ["contentType"] = fault.ContentType,
        ["times"] = fault.Times,
        ["delivery"] = fault.Delivery.ToString(),
        ["size"] = fault.Size,
    });

    public void RevokeAllTokens(string provider) => Call(HttpMethod.Post, "revoke/" + provider.ToLowerInvariant());

    public bool IsRevoked(string token) => Call(HttpMethod.Post, "revoked", new JsonObject { ["token"] = token })?["revoked"]?.GetValue<bool>() ?? false;

    public ValueTask DisposeAsync()
    {
        if (Options.Clock is TokenAuth.Tests.TestClock clock)
        {
            clock.Moved -= SetClock;
        }

        _control.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        return default;
    }

    private void SetClock(DateTimeOffset utcNow) => Call(HttpMethod.Post, "clock", new JsonObject { ["utcNow"] = utcNow.ToString("O") });

    private IReadOnlyCollection<string> Evidence(string name) =>
        Call(HttpMethod.Get, "evidence")?[name]?.AsArray().Select(item => item!.GetValue<string>()).ToList() ?? new List<string>();

    private JsonNode? Call(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body != null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = _control.SendAsync(request).GetAwaiter().GetResult();
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The emulator refused {method} _emulator/{path}: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text);
    }

    /// <summary>The emulator the solution built beside these tests (same configuration), found from the repository root.</summary>
    internal static string EmulatorAssembly()
    {
        var folder = new DirectoryInfo(AppDomain.CurrentDomain.BaseDirectory);
        while (folder != null && !File.Exists(Path.Combine(folder.FullName, "TokenAuth.sln")))
        {
            folder = folder.Parent;
        }

        var configuration = AppDomain.CurrentDomain.BaseDirectory.Contains(Path.DirectorySeparatorChar + "Release" + Path.DirectorySeparatorChar) ? "Release" : "Debug";
        return Path.Combine(folder?.FullName ?? ".", "src", "TokenAuth.Emulator", "bin", configuration, "net10.0", "TokenAuth.Emulator.dll");
    }
}
