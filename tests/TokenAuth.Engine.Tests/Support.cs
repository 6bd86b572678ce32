using System.Collections.Concurrent;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

// Tests run one collection at a time, so that the leak audit runs after every other test has left its evidence.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: TestCollectionOrderer("TokenAuth.Tests.LeakAuditLast", TokenAuth.Tests.ThisAssembly.Name)]

namespace TokenAuth.Tests;

/// <summary>The same sources build three test assemblies (against each engine build, and on .NET Framework); the orderer must name the right one.</summary>
internal static class ThisAssembly
{
#if NETFRAMEWORK
    public const string Name = "TokenAuth.Engine.Tests.NetFramework";
#elif NETSTANDARD_ENGINE
    public const string Name = "TokenAuth.Engine.Tests.NetStandard";
#else
    public const string Name = "TokenAuth.Engine.Tests";
#endif
}

/// <summary>
/// The engine's one clock, faked. The date moves only when a test says, so token expiry is exact; it is shared with
/// the emulator. Its timers (retry waits, attempt timeouts, call budgets) are fake too when a test asks for that: then
/// the test waits until the engine has started a wait of a given length and moves the clock past it, asserting what
/// was waited for and in what order rather than how long a run took. Otherwise they run in real time, as a network
/// test that meets a retry needs.
/// </summary>
public sealed class TestClock(bool fakeTimers) : FakeTimeProvider(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero))
{
    /// <summary>Bounds how long a test waits for the engine to start a wait: a guard against a hang, not a measurement.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly List<TimeSpan> _started = new();
    private readonly List<TimeSpan> _pending = new();

    public override long GetTimestamp() => fakeTimers ? base.GetTimestamp() : TimeProvider.System.GetTimestamp();

    public override long TimestampFrequency => fakeTimers ? base.TimestampFrequency : TimeProvider.System.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (!fakeTimers)
        {
            return TimeProvider.System.CreateTimer(callback, state, dueTime, period);
        }

        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            _started.Add(dueTime);
            _pending.Add(dueTime);
            Monitor.PulseAll(_gate);
        }

        return timer;
    }

    /// <summary>Raised after the date moves: an emulator in another process follows it.</summary>
    public event Action<DateTimeOffset>? Moved;

    /// <summary>Moves the date (and fake timers) on. Waits started before it and not yet matched are forgotten: their lengths no longer say when they end.</summary>
    public new void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _pending.Clear();
        }

        base.Advance(by);
        Moved?.Invoke(GetUtcNow());
    }

    /// <summary>Every wait the engine started on this clock, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_gate)
            {
                return _started.ToList();
            }
        }
    }

    /// <summary>Waits until the engine has started a wait of exactly <paramref name="length"/>, then moves the clock on by <paramref name="by"/> (by default, that length).</summary>
    public async Task AdvanceOnceWaitingAsync(TimeSpan length, TimeSpan? by = null)
    {
        await WaitingAsync(length);
        Advance(by ?? length);
    }

    /// <summary>Waits until the engine has started a wait of exactly <paramref name="length"/> that no earlier call here has matched.</summary>
    public Task WaitingAsync(TimeSpan length) => Task.Run(() =>
    {
        lock (_gate)
        {
            while (!_pending.Remove(length))
            {
                if (!Monitor.Wait(_gate, HangGuard))
                {
                    throw new TimeoutException($"The engine never started a wait of {length}; it started: {string.Join(", ", _started)}.");
                }
            }
        }
    });
}

/// <summary>
/// Everything the suite saw that a user could see (exception text, log lines) and everything that must not
/// appear in it (credentials' secrets, issued tokens). The leak audit checks one against the other.
/// </summary>
public static class LeakEvidence
{
    public static readonly ConcurrentQueue<string> VisibleText = new();
    public static readonly ConcurrentDictionary<string, byte> Secrets = new();

    public static void Saw(string text) => VisibleText.Enqueue(text);

    public static void Saw(Exception exception)
    {
        // Message, type, inner exceptions and the stack: all of it reaches a user's screen somewhere.
        VisibleText.Enqueue(exception.ToString());
        for (var inner = exception; inner != null; inner = inner.InnerException)
        {
            VisibleText.Enqueue(inner.Message);
        }
    }

    public static void Secret(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Secrets[value!] = 0;
        }
    }

    public static void SecretsOf(ProviderEmulator emulator)
    {
        foreach (var secret in emulator.IssuedSecrets)
        {
            Secret(secret);
        }

        Secret(emulator.Options.GitHubActionsRequestToken);
        Secret(emulator.Options.AzureDevOpsAccessToken);
        foreach (var credential in emulator.Options.Credentials.Values)
        {
            Secret(credential.ClientSecret);
            Secret(credential.ClientCredential);
            Secret(credential.ApiSecret);
        }
    }
}

/// <summary>Collects log lines for assertions, and hands each to the leak evidence.</summary>
public sealed class RecordingLog(LogLevel lowest = LogLevel.Debug) : ITokenAuthLog
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public bool IsEnabled(LogLevel level) => level >= lowest;

    /// <summary>Raised after each line is recorded, on the writer's thread: lets a test act at a point in a flow, not on a clock.</summary>
    public event Action<string>? Written;

    public void Write(LogLevel level, string message)
    {
        Lines.Enqueue((level, message));
        LeakEvidence.Saw(message);
        Written?.Invoke(message);
    }

    public IEnumerable<string> Messages => Lines.Select(line => line.Message);

    public bool Contains(string text) => Lines.Any(line => line.Message.Contains(text, StringComparison.OrdinalIgnoreCase));
}

/// <summary>An emulator and an engine that talk to it, with short retry waits and a shared test clock.</summary>
public sealed class Harness : IAsyncDisposable
{
    private Harness(ProviderEmulator emulator, TokenAuthEngine engine, TestClock clock)
    {
        Emulator = emulator;
        Engine = engine;
        Clock = clock;
    }

    public ProviderEmulator Emulator { get; }

    public TokenAuthEngine Engine { get; }

    public TestClock Clock { get; }

    public ProviderRegistry Providers { get; } = new();

    public RecordingLog Log { get; } = new();

    /// <param name="fakeTimers">Waits and timeouts on the fake clock too: the test moves time past them (see <see cref="TestClock"/>).</param>
    public static async Task<Harness> StartAsync(Action<EmulatorOptions>? configureEmulator = null, Func<TokenAuthOptions, TokenAuthOptions>? configureEngine = null, bool fakeTimers = false)
    {
        var clock = new TestClock(fakeTimers);
        var emulatorOptions = new EmulatorOptions { Clock = clock };
        configureEmulator?.Invoke(emulatorOptions);
        var engineOptions = new TokenAuthOptions
        {
            Retry = new RetryPolicy { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), MaxTotalWait = TimeSpan.FromSeconds(5) },
            Timeout = TimeSpan.FromSeconds(10),
        };
        engineOptions = configureEngine?.Invoke(engineOptions) ?? engineOptions;
        var emulator = await ProviderEmulator.StartAsync(emulatorOptions);
        return new Harness(emulator, new TokenAuthEngine(engineOptions, clock), clock);
    }

    /// <summary>A request for a built-in provider at the emulator, with the emulator's demo credential (or another).</summary>
    public TokenRequest Request(string provider, ProviderCredential? credential = null, string? scope = null, TimeSpan? lifetime = null) =>
        new(ProviderTarget.Resolve(Providers.Get(provider), baseUri: Emulator.BaseUriOf(provider).ToString()),
            credential ?? CredentialFor(provider), scope, lifetime);

    public ProviderCredential CredentialFor(string provider)
    {
        var demo = Emulator.Options.Credentials[provider.ToLowerInvariant()];
        return new ProviderCredential(demo.ClientId, demo.ClientSecret, demo.ClientCredential, demo.ApiKey, demo.ApiSecret);
    }

    public int Count(string provider, string endpoint) => Emulator.RequestCount(provider, endpoint);

    /// <summary>The emulator's authorization server for people, polled every second, registered as "People" by discovery.</summary>
    public async Task<ProviderDefinition> DiscoverPeopleAsync()
    {
        using var http = new HttpClient();
        using var settings = new StringContent("""{"interval":1}""", System.Text.Encoding.UTF8, "application/json");
        (await http.PostAsync(new Uri(Emulator.RootUri, "_emulator/people"), settings)).EnsureSuccessStatusCode();
        return await Engine.DiscoverProviderAsync("People", new Uri(Emulator.RootUri, "people"), "tokenauth-cli");
    }

    public async ValueTask DisposeAsync()
    {
        LeakEvidence.SecretsOf(Emulator);
        await Emulator.DisposeAsync();
    }
}

/// <summary>The throwaway test CA's files (TokenAuth.Emulator's TestCertificates), written once per test run.</summary>
public static class TestCertificateFiles
{
    public const string Password = "tokenauth-test-pfx";

    public static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "tokenauth-test-certificates-" + Guid.NewGuid().ToString("N"));
#if REMOTE_EMULATOR
        // Written by the emulator's own process: .NET Framework (and Mono) cannot make certificates.
        using var writer = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
            $"\"{TokenAuth.Emulator.ProviderEmulator.EmulatorAssembly()}\" --write-test-certificates \"{folder}\"") { UseShellExecute = false, RedirectStandardOutput = true })!;
        writer.StandardOutput.ReadToEnd();
        writer.WaitForExit();
#else
        using var certificates = TokenAuth.Emulator.TestCertificates.Create();
        certificates.WriteTo(folder);
#endif
        return folder;
    });
}

/// <summary>Ports for listeners a test starts itself (a TLS listener of the emulator's, say).</summary>
public static class LoopbackPorts
{
    /// <summary>A loopback TCP port free at the moment of asking.</summary>
    public static int Free()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>Where the tests run: Mono stands in for .NET Framework on Linux, and differs from it in a few places, each named where it matters.</summary>
public static class Runtime
{
    public static readonly bool IsMono = Type.GetType("Mono.Runtime") != null;
}

/// <summary>A test that needs what Mono lacks and .NET Framework has; on Mono it is reported as skipped, with the reason.</summary>
public sealed class NotOnMonoFactAttribute : FactAttribute
{
    public NotOnMonoFactAttribute(string reason)
    {
        Skip = Runtime.IsMono ? "Mono: " + reason : null;
    }
}

/// <summary>The same, for a theory.</summary>
public sealed class NotOnMonoTheoryAttribute : TheoryAttribute
{
    public NotOnMonoTheoryAttribute(string reason)
    {
        Skip = Runtime.IsMono ? "Mono: " + reason : null;
    }
}

/// <summary>Bytes this process has allocated so far, to show that an answer was refused without being read in.</summary>
public static class Allocation
{
    public const string NotCountedOnMono = "it does not count a process's allocations (AppDomain.MonitoringTotalAllocatedMemorySize is not implemented); .NET Framework does";

#if NETFRAMEWORK
    static Allocation()
    {
        AppDomain.MonitoringIsEnabled = true;
    }

    public static long TotalBytes() => AppDomain.CurrentDomain.MonitoringTotalAllocatedMemorySize;
#else
    public static long TotalBytes() => GC.GetTotalAllocatedBytes(precise: true);
#endif
}

public static class Expect
{
    /// <summary>Like Assert.ThrowsAsync, and records the exception's text for the leak audit.</summary>
    public static async Task<T> Throws<T>(Func<Task> action)
        where T : Exception
    {
        var exception = await Assert.ThrowsAsync<T>(action);
        LeakEvidence.Saw(exception);
        return exception;
    }

    public static T Throws<T>(Action action)
        where T : Exception
    {
        var exception = Assert.Throws<T>(action);
        LeakEvidence.Saw(exception);
        return exception;
    }
}

/// <summary>Puts the leak audit's collection after all others.</summary>
public sealed class LeakAuditLast : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => collection.DisplayName.Contains(LeakAuditCollection.Name, StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);
}

[CollectionDefinition(Name)]
public sealed class LeakAuditCollection
{
    public const string Name = "Leak audit (runs last)";
}
