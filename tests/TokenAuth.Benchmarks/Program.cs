using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using TokenAuth.Benchmarks;

// dotnet run -c Release --project tests/TokenAuth.Benchmarks                       the full run, then the report
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --quick            a short run (under 3 minutes)
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --report           only the memory and stampede report
// dotnet run -c Release --project tests/TokenAuth.Benchmarks -- --throughput [ROUNDS] [raw|tokenauth] [--concurrency N] [--tls]   side by side (64 unless told), for trying a change or profiling; --tls adds the pair over HTTPS
// Other arguments go to BenchmarkDotNet, e.g. --filter '*WarmTokenLookup*'.
if (args.Length > 0 && args[0] == "--throughput")
{
    int rounds = 9, concurrency = 64;
    string? only = null;
    var withTls = false;
    for (var i = 1; i < args.Length; i++)
    {
        if (args[i] == "--concurrency" && i + 1 < args.Length)
        {
            concurrency = int.Parse(args[++i]);
        }
        else if (args[i] == "--tls")
        {
            withTls = true;
        }
        else if (args[i] is "raw" or "tokenauth")
        {
            only = args[i];
        }
        else
        {
            rounds = int.Parse(args[i]);
        }
    }

    await Throughput.RunAsync(rounds, perCase: TimeSpan.FromSeconds(3), only, concurrency, withTls);
    return;
}

var quick = args.Contains("--quick");
var report = args.Contains("--report");
var benchmarkArguments = args.Where(argument => argument is not ("--quick" or "--report")).ToArray();
if (!report)
{
    SteadyRun.GiveWayToQuick = quick;
    var config = quick ? DefaultConfig.Instance.AddJob(Job.ShortRun.WithId("Quick")) : DefaultConfig.Instance;
    var switcher = BenchmarkSwitcher.FromTypes([typeof(WarmTokenLookup), typeof(AuthenticatedRequest), typeof(PipelineOverhead), typeof(ColdStampede)]);
    switcher.Run(benchmarkArguments.Length > 0 ? benchmarkArguments : ["--filter", "*"], config);
}

await Report.RunAsync(quick ? 20_000 : 100_000);
