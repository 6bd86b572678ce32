using System.Text;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// Faults at fixed, seeded rates on every protected resource (<see cref="EmulatorOptions.ChaosSeed"/>), for the soak
/// benchmark (tests/bench/Invoke-Soak.ps1): 5 % 503 with Retry-After 0 or 1, 2 % 429, 2 % connection resets, 2 %
/// answers that take 1 to 3 s, 1 % 401 for a valid token, 1 % bodies cut short. Each fault is counted as
/// chaos/KIND, so a report can set what the client saw beside what was injected.
/// </summary>
public sealed partial class ProviderEmulator
{
    private Random? _chaos;

    /// <summary>Serves a fault instead of the resource's answer, by the seeded rates; false: answer normally (perhaps after a delay).</summary>
    private async Task<bool> ChaosAsync(HttpContext context)
    {
        if (_options.ChaosSeed is not { } seed || !(context.Request.Path.Value ?? "").Contains("/resources/", StringComparison.Ordinal))
        {
            return false;
        }

        int roll, extra;
        lock (_options)
        {
            _chaos ??= new Random(seed);
            roll = _chaos.Next(100);
            extra = _chaos.Next(2001);
        }

        var response = context.Response;
        switch (roll)
        {
            case < 5:
                Count("chaos", "503");
                response.Headers.RetryAfter = (extra % 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.StatusCode = 503;
                return true;
            case < 7:
                Count("chaos", "429");
                response.StatusCode = 429;
                return true;
            case < 9:
                Count("chaos", "reset");
                context.Abort();
                return true;
            case < 11:
                Count("chaos", "slow");
                await Task.Delay(1000 + extra, context.RequestAborted).ConfigureAwait(false);
                return false;
            case < 12:
                Count("chaos", "401");
                await WriteError(context, context.Request.Path.Value!.Split('/')[1], false, 401, "INVALID_TOKEN", "The access token is invalid").ConfigureAwait(false);
                return true;
            case < 13:
                Count("chaos", "truncated");
                response.StatusCode = 200;
                response.ContentType = "application/json";
                response.ContentLength = 100;
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes("{\"message\":\"cut sh"), context.RequestAborted).ConfigureAwait(false);
                await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                context.Abort();
                return true;
            default:
                return false;
        }
    }
}
