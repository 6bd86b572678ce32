using System.Globalization;
using TokenAuth.Emulator;

// dotnet run --project src/TokenAuth.Emulator [-- --port 5599]
var options = new EmulatorOptions();
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--port")
    {
        options.Port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
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
