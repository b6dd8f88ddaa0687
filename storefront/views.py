from django.http import HttpResponse


def product_list(request):
    return HttpResponse("")


def product_detail(request, slug):
    return HttpResponse("")
