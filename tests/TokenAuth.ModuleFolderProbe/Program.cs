using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

/// <summary>
/// Loads TokenAuth.PowerShell.dll from the module's netstandard2.0 folder, attaches the module's resolver as its
/// import would, and sends one authenticated request through the engine: proof that the folder is self-sufficient on
/// a .NET Framework-style runtime. Before that, this program asks for System.Text.Json itself, which the folder holds
/// and the program's own folder does not: the module's resolver must leave another assembly's request alone.
/// Prints each request the module's resolver left unanswered, where each assembly the engine needed came from, then
/// the answer's status.
/// Arguments: the module's bin/netstandard2.0 folder, Akiba's base URI, and Akiba's client id, secret and credential;
/// then how the engine is reached: through TokenAuth.PowerShell's own reference to it (the default), --by-name
/// (Assembly.Load, a request without a requesting assembly), --by-name-in-lower-case, --by-type-name (this
/// program's own request), or --without-resolver, to show that without the resolver the engine is not found at all.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var folder = Path.GetFullPath(args[0]);
        var mode = args.Length > 5 ? args[5] : "";
        var loaded = new ConcurrentQueue<Assembly>();
        AppDomain.CurrentDomain.AssemblyLoad += (_, loading) => loaded.Enqueue(loading.LoadedAssembly);

        // LoadFile, not LoadFrom: nothing beside the module is probed for, so only the resolver can find the engine.
        var module = Assembly.LoadFile(Path.Combine(folder, "TokenAuth.PowerShell.dll"));
        if (mode != "--without-resolver")
        {
            module.GetType("TokenAuth.Commands.ModuleFolderResolver", throwOnError: true)!.GetMethod("Attach")!.Invoke(null, null);
        }

        // Attached after the module's: it sees only the requests the module's resolver left unanswered.
        AppDomain.CurrentDomain.AssemblyResolve += (_, request) =>
        {
            Console.WriteLine($"unanswered {new AssemblyName(request.Name).Name} for {request.RequestingAssembly?.GetName().Name ?? "no requesting assembly"}");
            return null;
        };

        Console.WriteLine("this program's System.Text.Json: " + Attempt(UseSystemTextJson));
        Console.WriteLine("System.Text.Json by name: " + Attempt(() => System.Type.GetType("System.Text.Json.JsonSerializer, System.Text.Json", throwOnError: true)));

        var engine = mode == "--by-name" ? Assembly.Load("TokenAuth.Engine")
            // Assembly names are not case-sensitive, whatever the file system is.
            : mode == "--by-name-in-lower-case" ? Assembly.Load("tokenauth.engine")
            // The program's own request (a type by its assembly-qualified name), as a script or another module makes it.
            : mode == "--by-type-name" ? System.Type.GetType("TokenAuth.TokenAuthEngine, TokenAuth.Engine", throwOnError: true)!.Assembly
            // TokenAuth.PowerShell's own request: its vault reader implements the engine's store interface.
            : module.GetType("TokenAuth.Commands.SecretManagementStore", throwOnError: true)!.GetInterfaces().Single().Assembly;
        Type Type(string name) => engine.GetType(name, throwOnError: true)!;

        var registry = Activator.CreateInstance(Type("TokenAuth.Providers.ProviderRegistry"))!;
        var akiba = registry.GetType().GetMethod("Get")!.Invoke(registry, new object[] { "Akiba" });
        var target = Type("TokenAuth.Providers.ProviderTarget").GetMethod("Resolve")!.Invoke(null, new object?[] { akiba, null, args[1] });
        var credential = Activator.CreateInstance(Type("TokenAuth.Credentials.ProviderCredential"), args[2], args[3], args[4], null, null);
        // The target and the credential; every optional argument after them left out (null).
        var requestConstructor = Type("TokenAuth.Tokens.TokenRequest").GetConstructors().Single();
        var requestArguments = new object?[requestConstructor.GetParameters().Length];
        (requestArguments[0], requestArguments[1]) = (target, credential);
        var request = requestConstructor.Invoke(requestArguments);
        var client = Activator.CreateInstance(Type("TokenAuth.TokenAuthEngine"), new object?[] { null, null })!;
        var call = Activator.CreateInstance(Type("TokenAuth.Requests.ApiRequest"), "GET", "resources/sample");
        var sending = (Task)client.GetType().GetMethod("SendAsync")!.Invoke(client, new object?[] { request, call, null, CancellationToken.None })!;
        sending.GetAwaiter().GetResult();
        var response = sending.GetType().GetProperty("Result")!.GetValue(sending)!;

        foreach (var assembly in loaded)
        {
            Console.WriteLine($"loaded {assembly.GetName().Name} from {assembly.Location}");
        }

        Console.WriteLine($"status {response.GetType().GetProperty("StatusCode")!.GetValue(response)}");
        return 0;
    }

    private static string Attempt(Action use)
    {
        try
        {
            use();
            return "loaded";
        }
        catch (Exception ex) when (ex is FileNotFoundException || ex is TypeLoadException)
        {
            // Mono reports a type asked for by an assembly-qualified name whose assembly is not found as TypeLoadException.
            return "not found";
        }
    }

    /// <summary>A method of its own, so that System.Text.Json is asked for when it is compiled, inside the attempt.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UseSystemTextJson() => _ = typeof(System.Text.Json.JsonSerializer).Assembly;
}
