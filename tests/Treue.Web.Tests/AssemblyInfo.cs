using Treue.Web.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(WebServer))]
// One server and one browser for all tests; on a small machine they are faster one after the other.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
