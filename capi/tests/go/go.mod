module berth.example/capi-demo

go 1.19
