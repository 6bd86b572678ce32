#if !NETSTANDARD_ENGINE
// The emulator's own behaviour, not the engine's: built once, in the test assembly that references the emulator.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using TokenAuth.Emulator;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// The emulator run as a process, as the Pester suite and the .NET Framework tests run it, ends at once with exit code
/// 0 on SIGTERM (what a stopped test run or a service manager sends) and on SIGINT (Ctrl+C), also while a request is held
/// open by an endpoint that stalls for a minute: the host waits <see cref="ProviderEmulator.ShutdownGrace"/> for it, no longer.
/// </summary>
public sealed class EmulatorShutdownTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    // Well past the grace and the start of a busy machine, well short of the minute a held request would take.
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(10);

    [UnixSignalTheory(SigTerm)]
    [InlineData(false)]
    [InlineData(true)]
    public Task SIGTERM_stops_the_emulator_promptly_and_cleanly(bool requestHeldOpen) => StopsOn(SigTerm, requestHeldOpen);

    [UnixSignalTheory(SigInt)]
    [InlineData(false)]
    [InlineData(true)]
    public Task Ctrl_C_stops_the_emulator_promptly_and_cleanly(bool requestHeldOpen) => StopsOn(SigInt, requestHeldOpen);

    private static async Task StopsOn(int signal, bool requestHeldOpen)
    {
        using var emulator = await EmulatorProcess.StartAsync();
        using var client = new HttpClient { BaseAddress = emulator.RootUri };
        using var held = requestHeldOpen ? await HoldOpenAsync(client) : null;

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(0, Kill(emulator.Process.Id, signal));
        var exited = await emulator.WaitForExitAsync(Promptly);
        stopwatch.Stop();

        Assert.True(exited, $"The emulator was still running {Promptly.TotalSeconds} s after signal {signal}.");
        Assert.Equal(0, emulator.Process.ExitCode);
        Assert.True(stopwatch.Elapsed < Promptly, $"It took {stopwatch.Elapsed}.");
    }

    /// <summary>
    /// A request to the stall endpoint, which sends its headers and the start of its body at once and the rest a minute
    /// later: with the headers read, the request is in the handler.
    /// </summary>
    private static async Task<HttpResponseMessage> HoldOpenAsync(HttpClient client)
    {
        using var stall = new HttpRequestMessage(HttpMethod.Get, "apimw/resources/stall?ms=60000");
        stall.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await ApimwTokenAsync(client));
        var held = await client.SendAsync(stall, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)held.StatusCode);
        return held;
    }

    private static async Task<string> ApimwTokenAsync(HttpClient client)
    {
        var demo = DemoCredentials.All["apimw"];
        var body = new JsonObject { ["api_key"] = demo.ApiKey, ["api_secret"] = demo.ApiSecret }.ToJsonString();
        using var response = await client.PostAsync("apimw/v1/auth/token", new StringContent(body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["access_token"]!.GetValue<string>();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>The emulator this test assembly was built with, started as `dotnet TokenAuth.Emulator.dll --port 0`.</summary>
    private sealed class EmulatorProcess : IDisposable
    {
        private EmulatorProcess(Process process, Uri rootUri)
        {
            Process = process;
            RootUri = rootUri;
        }

        public Process Process { get; }

        public Uri RootUri { get; }

        public static async Task<EmulatorProcess> StartAsync()
        {
            var assembly = typeof(ProviderEmulator).Assembly.Location;
            var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{assembly}\" --port 0") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var banner = await process.StandardOutput.ReadLineAsync() ?? "";
            var at = banner.IndexOf("http://", StringComparison.Ordinal);
            if (at < 0)
            {
                process.Kill();
                throw new InvalidOperationException($"The emulator did not start: {banner}{await process.StandardError.ReadToEndAsync()}");
            }

            // Keep reading its output, so that a full pipe never blocks it.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            return new EmulatorProcess(process, new Uri(banner[at..].Split(' ')[0]));
        }

        public async Task<bool> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(cancel.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}

/// <summary>
/// A theory that sends a POSIX signal: skipped, with the reason, on Windows, which has none, and where this test run
/// ignores the signal, which a process it starts inherits (a background job of a script ignores SIGINT, as nohup intends).
/// </summary>
public sealed class UnixSignalTheoryAttribute : TheoryAttribute
{
    public UnixSignalTheoryAttribute(int signal)
    {
        Skip = OperatingSystem.IsWindows() ? "Windows has no POSIX signals to send"
            : IgnoredHere(signal) ? $"this test run ignores signal {signal}, and so would the emulator it starts"
            : null;
    }

    /// <summary>Whether this process ignores the signal: Linux says so in /proc; elsewhere, assumed not.</summary>
    private static bool IgnoredHere(int signal)
    {
        const string status = "/proc/self/status";
        var ignored = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(line => line.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return ignored != null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
    }
}
#endif
