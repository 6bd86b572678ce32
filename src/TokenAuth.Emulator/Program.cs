using System.Globalization;
using TokenAuth.Emulator;

// dotnet run --project src/TokenAuth.Emulator [-- --port 5599] [--settable-clock] [--corebanking-token-type MAC]
// The last two are for tests that drive the emulator from another process (the .NET Framework engine tests on Mono).
var options = new EmulatorOptions();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            options.Port = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--settable-clock":
            options.Clock = new SettableClock();
            break;
        case "--corebanking-token-type" when i + 1 < args.Length:
            options.CoreBankingTokenType = args[++i];
            break;
    }
}

await using var emulator = await ProviderEmulator.StartAsync(options);
Console.WriteLine($"TokenAuth provider emulator listening on {emulator.RootUri} (loopback only). Ctrl+C stops it.");
Console.WriteLine();
Console.WriteLine("Base URIs and demo credentials (documented in README.md; they work only here):");
foreach (var provider in ProviderEmulator.Providers)
{
    var credential = DemoCredentials.All[provider];
    var fields = new[]
    {
        ("ClientId", credential.ClientId), ("ClientSecret", credential.ClientSecret), ("ClientCredential", credential.ClientCredential),
        ("ApiKey", credential.ApiKey), ("ApiSecret", credential.ApiSecret),
    }.Where(field => field.Item2 != null).Select(field => $"{field.Item1}={field.Item2}");
    Console.WriteLine($"  {provider,-12} {emulator.BaseUriOf(provider)}   {string.Join(" ", fields)}");
}

Console.WriteLine();
Console.WriteLine($"Control: GET {emulator.RootUri}_emulator/counters, POST {emulator.RootUri}_emulator/faults, POST {emulator.RootUri}_emulator/reset");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
