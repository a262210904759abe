module kw86test

go 1.19
