using Treue.Server;

var app = TreueApp.Build(args);
if (app.Configuration.GetValue<bool>("Treue:Demo"))
    await TreueApp.StartDemoAsync(app, Console.WriteLine);
await app.RunAsync();

/// <summary>The server's entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
